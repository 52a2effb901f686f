"""Distribution files built in memory for the archive tests: tar and zip writers, and raw
builders for what the standard writers refuse to make (bombs, 100,000 members)."""

from __future__ import annotations

import io
import struct
import tarfile
import warnings
import zipfile
import zlib

Entry = tuple[str, bytes] | tarfile.TarInfo | zipfile.ZipInfo


def tar_bytes(entries: list[Entry] | list[tuple[str, bytes]], mode: str = "w:gz") -> bytes:
    """A tar archive; a bare TarInfo is a member without data (link, device, directory)."""
    buffer = io.BytesIO()
    with tarfile.open(
        fileobj=buffer,
        mode=mode,
        format=tarfile.GNU_FORMAT,  # type: ignore[call-overload]
        encoding="utf-8",
        errors="surrogateescape",
    ) as tar:
        for entry in entries:
            if isinstance(entry, tarfile.TarInfo):
                tar.addfile(entry)
            else:
                name, body = entry  # type: ignore[misc]
                info = tarfile.TarInfo(name)
                info.size = len(body)
                tar.addfile(info, io.BytesIO(body))
    return buffer.getvalue()


def tar_special(name: str, kind: bytes, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, linkname
    return info


def zip_bytes(entries: list[Entry] | list[tuple[str, bytes]]) -> bytes:
    """A deflated zip; a (ZipInfo, body) pair keeps the ZipInfo's flags and mode bits."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():  # duplicate names warn; the tests make them on purpose
        warnings.simplefilter("ignore")
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, body in entries:  # type: ignore[misc]
                archive.writestr(name, body)
    return buffer.getvalue()


def zip_info(name: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = mode << 16
    return info


def deflated_zeros(size: int, prefix: bytes = b"") -> tuple[bytes, int]:
    """A raw deflate stream of `prefix` then `size` zero bytes, and its CRC, built from one
    repeated full-flush block so 200 MB costs one megabyte of compression."""
    chunk = bytes(1 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = compressor.compress(prefix) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = zlib.crc32(prefix)
    for _ in range(size >> 20):
        crc = zlib.crc32(chunk, crc)
    return head + block * (size >> 20) + b"\x03\x00", crc


def zip_raw(members: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A zip from (name, stored data, method, crc, unpacked size): sizes and flags as given."""
    local, central = io.BytesIO(), io.BytesIO()
    for name, data, method, crc, size in members:
        raw = name.encode()
        offset = local.tell()
        local.write(
            struct.pack(
                "<4s5H3L2H", b"PK\x03\x04", 20, 0, method, 0, 0, crc, len(data), size, len(raw), 0
            )
            + raw
            + data
        )
        central.write(
            struct.pack(
                "<4s6H3L5H2L",
                b"PK\x01\x02",
                20,
                20,
                0,
                method,
                0,
                0,
                crc,
                len(data),
                size,
                len(raw),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + raw
        )
    body = local.getvalue()
    directory = central.getvalue()
    count = min(len(members), 0xFFFF)  # more entries: zipfile reads the directory by its size
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, len(directory), len(body), 0)
    return body + directory + end


def zip_bomb(size: int = 200 << 20) -> bytes:
    data, crc = deflated_zeros(size)
    return zip_raw([("pkg/zeros.bin", data, zipfile.ZIP_DEFLATED, crc, size)])


def tar_gz_bomb(size: int = 200 << 20) -> bytes:
    header = tarfile.TarInfo("pkg-1.0/zeros.bin")
    header.size = size
    data, crc = deflated_zeros(size, header.tobuf(tarfile.GNU_FORMAT))
    total = 512 + size
    return b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + data + struct.pack("<2L", crc, total)


def many_zip(count: int) -> bytes:
    return zip_raw([(f"pkg/{i:06d}.py", b"", 0, 0, 0) for i in range(count)])


def many_tar(count: int) -> bytes:
    """An uncompressed tar of `count` empty members: one header, renamed and re-summed."""
    template = bytearray(tarfile.TarInfo("pkg/000000.py").tobuf(tarfile.USTAR_FORMAT))
    template[148:156] = b" " * 8
    blocks = []
    for i in range(count):
        header = template.copy()
        header[4:10] = b"%06d" % i
        header[148:156] = b"%06o\0 " % sum(header)
        blocks.append(bytes(header))
    return b"".join(blocks) + bytes(1024)
