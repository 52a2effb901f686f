"""Code checks over real wheels and sdists: packages per second and packages flagged at medium+.

Usage: python -m bench.code_scan [FILE_OR_GLOB ...]   (default: /opt/pypi*/files/*.whl)
"""

from __future__ import annotations

import glob
import statistics
import sys
import tarfile
import time
import zipfile
from collections import Counter

from analysis.artifact import ArchiveContents, ArchiveKind, Member
from analysis.code import check_code
from analysis.model import Severity

TEXT = (".py", ".pyw", ".pth", ".txt", ".toml", ".cfg", "METADATA", "PKG-INFO")
DEFAULT = ["/opt/pypi/files/*.whl", "/opt/pypi-more/files/*.whl"]


def read(path: str) -> ArchiveContents:
    name = path.rsplit("/", 1)[-1]
    members = []
    if path.endswith((".whl", ".zip", ".egg")):
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                if not info.is_dir() and info.filename.endswith(TEXT):
                    members.append(Member(info.filename, info.file_size, z.read(info)))
        kind = ArchiveKind.WHEEL if name.endswith(".whl") else ArchiveKind.SDIST
    else:
        with tarfile.open(path) as t:
            for info in t.getmembers():
                if info.isfile() and info.name.endswith(TEXT):
                    data = t.extractfile(info).read()  # type: ignore[union-attr]
                    members.append(Member(info.name, info.size, data))
        kind = ArchiveKind.SDIST
    return ArchiveContents(name, kind, tuple(members))


def main(argv: list[str]) -> int:
    paths = sorted(p for pattern in (argv or DEFAULT) for p in glob.glob(pattern))
    archives = []
    for path in paths:
        try:
            archives.append(read(path))
        except (zipfile.BadZipFile, tarfile.TarError, OSError) as exc:
            print(f"skip {path}: {exc}", file=sys.stderr)
    times, flagged, counts = [], [], Counter()
    for contents in archives:
        start = time.perf_counter()
        found = check_code(contents)
        times.append(time.perf_counter() - start)
        counts.update(f"{f.check_id}:{f.severity.label}" for f in found)
        worst = [f for f in found if f.severity >= Severity.MEDIUM]
        if worst:
            flagged.append((contents.filename, worst))
    total = sum(times)
    size = sum(c.unpacked for c in archives) / 1e6
    print(
        f"{len(archives)} packages, {size:.0f} MB of text, {total:.2f} s: {len(archives) / total:.0f} packages/s, "
        f"median {statistics.median(times) * 1000:.2f} ms, p95 {sorted(times)[int(len(times) * 0.95)] * 1000:.1f} ms"
    )
    print(
        f"flagged at medium+: {len(flagged)} / {len(archives)} = {len(flagged) / len(archives):.2%}"
    )
    for name, worst in flagged:
        for f in worst[:3]:
            print(
                f"  {name}: {f.check_id} {f.severity.label}: {f.summary} | {f.evidence.get('snippet', '')[:120]}"
            )
    for key, n in sorted(counts.items()):
        print(f"  {key}: {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
