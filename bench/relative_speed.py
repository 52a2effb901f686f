"""The analysis of a typical package, this checkout against an older commit, on this machine.

    .venv/bin/python -m bench.relative_speed --against REV [--rounds 5] [--callgrind]

A machine's speed drifts between days (and with what else runs on it), so a speed goal set on one
day is checked against a baseline run beside it, not against a figure from another day. This
exports `analysis/` at REV into a temporary folder (`git archive`, no work tree touched), then
runs the median-size band of the random sample (45th to 55th percentile of release size, from
bench/.cache/random) through `inspect_file` under both, in fresh processes taking turns.

Figures: best-of-rounds CPU milliseconds per release for each side and their ratio. With
`--callgrind` the ratio is of instructions counted by valgrind (repeatable whatever else the
machine runs; about 4 minutes per side): (count of 3 passes - count of 1 pass) / 2, so start-up
and loading cancel out. Multiply the baseline's figure of its own day by the ratio.
"""

from __future__ import annotations

import argparse
import io
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from bench.common import REPO

CHILD = """
import sys, time
sys.path.insert(0, {repo!r})
from bench.relative_speed import band
items = band()
sys.path.insert(0, {code!r})
for name in [m for m in sys.modules if m == "analysis" or m.startswith("analysis.")]:
    del sys.modules[name]
from analysis.artifact import ArtifactRef
from analysis.inspect import inspect_file
import analysis
assert analysis.__file__.startswith({code!r}), analysis.__file__
best = None
for _ in range({passes}):
    start = time.process_time()
    for project, version, files in items:
        for filename, data in files:
            inspect_file(ArtifactRef(project, version, filename), data)
    spent = (time.process_time() - start) / len(items)
    best = spent if best is None else min(best, spent)
print(best * 1e3)
"""


def band() -> list[tuple[str, str, list[tuple[str, bytes]]]]:
    """The releases of the random sample between the 45th and 55th percentile of size."""
    from bench.random_corpus import RANDOM_CACHE, read_manifest

    fetched, _ = read_manifest(RANDOM_CACHE)
    releases = []
    for row in fetched:
        paths = [(f.filename, RANDOM_CACHE / row.project / f.filename) for f in row.files]
        files = [(name, path.read_bytes()) for name, path in paths if path.exists()]
        releases.append((row.project, row.version, files))
    releases.sort(key=lambda release: sum(len(data) for _, data in release[2]))
    count = len(releases)
    return releases[int(0.45 * count) : int(0.55 * count)]


def export(rev: str, into: Path) -> Path:
    """`analysis/` as it was at REV, unpacked under `into`."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", rev, "analysis"], check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def cpu_ms(code: Path, passes: int) -> float:
    script = CHILD.format(repo=str(REPO), code=str(code), passes=passes)
    result = subprocess.run(
        [sys.executable, "-c", script],
        check=True,
        capture_output=True,
        text=True,
        cwd=tempfile.gettempdir(),
    )
    return float(result.stdout.strip().splitlines()[-1])


def instructions(code: Path, passes: int) -> int:
    script = CHILD.format(repo=str(REPO), code=str(code), passes=passes)
    result = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            "-c",
            script,
        ],
        check=True,
        capture_output=True,
        text=True,
        cwd=tempfile.gettempdir(),
    )
    found = re.search(r"Collected : (\d+)", result.stderr)
    if found is None:
        raise SystemExit("valgrind printed no instruction count")
    return int(found.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", required=True, help="the baseline commit")
    parser.add_argument("--rounds", type=int, default=5, help="turns each side takes")
    parser.add_argument("--callgrind", action="store_true", help="count instructions instead")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        sides = {"baseline": export(args.against, Path(folder)), "this checkout": REPO}
        if args.callgrind:
            counts = {
                name: (instructions(code, 3) - instructions(code, 1)) // 2
                for name, code in sides.items()
            }
            for name, count in counts.items():
                print(f"{name}: {count:,} instructions per pass over the band")
            print(f"ratio: {counts['this checkout'] / counts['baseline']:.3f}")
            return 0
        best: dict[str, float] = {}
        started = time.monotonic()
        for _ in range(args.rounds):
            for name, code in sides.items():
                ms = cpu_ms(code, passes=1)
                best[name] = min(best.get(name, ms), ms)
        for name, ms in best.items():
            print(f"{name}: {ms:.2f} ms per release (best of {args.rounds})")
        print(
            f"ratio: {best['this checkout'] / best['baseline']:.3f} "
            f"({time.monotonic() - started:.0f} s)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
