"""Magic numbers of native executables and libraries: ELF, PE and Mach-O."""

from __future__ import annotations

_MACHO = (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe")
_FAT = (b"\xca\xfe\xba\xbe", b"\xca\xfe\xba\xbf")
_MAX_FAT_ARCHS = 20  # a Java class file shares 0xCAFEBABE; its version number is never this low


def native_magic(head: bytes) -> str | None:
    """'ELF', 'PE', 'Mach-O' or 'Mach-O universal' when the bytes start a native binary."""
    if head.startswith(b"\x7fELF"):
        return "ELF"
    if head.startswith(b"MZ") and _pe_signature(head):
        return "PE"
    if head[:4] in _MACHO:
        return "Mach-O"
    if head[:4] in _FAT and 0 < int.from_bytes(head[4:8], "big") < _MAX_FAT_ARCHS:
        return "Mach-O universal"
    return None


def _pe_signature(head: bytes) -> bool:
    # Two bytes alone match too much; a PE file points at 'PE\0\0' from offset 0x3C.
    offset = int.from_bytes(head[0x3C:0x40], "little")
    return head[offset : offset + 4] == b"PE\0\0"
