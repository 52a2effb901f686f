"""The benign corpus for bench/artifacts.py: real wheels and sdists found on this machine, real sdists
fetched from PyPI into a cache, and wheels rebuilt in memory from installed distributions.

    .venv/bin/python -m bench.artifact_corpus --fetch-sdists 300   # once: fills bench/.cache/sdists
    .venv/bin/python -m bench.artifact_corpus --fetch-random 600   # the random sample (random_corpus.py)

Sdists are fetched without pip: pip would prepare their metadata, which runs the build backend. The
Simple API (JSON form; this machine's PyPI answers it with HTML, so the JSON API's latest release
instead) names each file with its sha256; the newest final release's sdist is downloaded with
urllib, checked against that digest and written to the cache as is.
"""

from __future__ import annotations

import argparse
import csv
import functools
import hashlib
import io
import json
import random
import sys
import tarfile
import time
import urllib.request
import zipfile
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import compat32
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from analysis.model import ReleaseMetadata

REPO = Path(__file__).resolve().parents[1]
SDIST_CACHE = REPO / "bench" / ".cache" / "sdists"
TOP = REPO.parent / "shared" / "eval" / "top.tsv"
WHEEL_DIRS = (
    Path("/opt/pypi/files"),
    Path("/opt/pypi-more/files"),
    Path("/usr/share/python-wheels"),
)
PIP_CACHE = Path.home() / ".cache" / "pip"
SIMPLE = "https://pypi.org/simple/{}/"
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
JSON_API = "https://pypi.org/pypi/{}/json"
SDIST_SUFFIXES = (".tar.gz", ".zip", ".tar.bz2", ".tgz")
OWN = "pypi-sentinel"  # our own wheel in the pip cache is not third-party code


@dataclass(frozen=True, slots=True)
class CorpusFile:
    """One real distribution file, read into memory before any timing."""

    project: str  # normalized
    version: str
    filename: str
    source: str  # index, pip-cache, python-wheels, sdist-cache, site-packages
    data: bytes

    @property
    def kind(self) -> str:
        return _kind(self.filename)


# ---------------------------------------------------------------- finding and loading files


def parse_filename(filename: str) -> tuple[str, str] | None:
    """(normalized project, version) from a wheel or sdist file name; None when it is neither."""
    try:
        if filename.endswith(".whl"):
            name, version, _, _ = parse_wheel_filename(filename)
            return str(name), str(version)
        if filename.endswith(SDIST_SUFFIXES):
            if filename.endswith(".tar.bz2"):
                filename = filename[: -len(".tar.bz2")] + ".tar.gz"
            if filename.endswith(".tgz"):
                filename = filename[: -len(".tgz")] + ".tar.gz"
            name, version = parse_sdist_filename(filename)
            return str(name), str(version)
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        stem = filename.split("-")
        if len(stem) >= 2:
            return canonicalize_name(stem[0]), stem[1].removesuffix(".tar.gz").removesuffix(".zip")
    return None


def local_paths() -> Iterator[tuple[str, Path]]:
    """(source, path) of every distribution file on this machine the bench reads."""
    for folder in WHEEL_DIRS:
        source = "python-wheels" if "python-wheels" in str(folder) else "index"
        yield from ((source, p) for p in sorted(folder.glob("*.whl")))
    yield from (("pip-cache", p) for p in sorted(PIP_CACHE.rglob("*.whl")))
    if SDIST_CACHE.exists():
        yield from (("sdist-cache", p) for p in sorted(SDIST_CACHE.iterdir()) if p.is_file())


def load_files(
    only: str | None = None, installed: bool = True, limit: int | None = None
) -> list[CorpusFile]:
    """Every benign file, deduplicated by file name; `only` is 'wheels' or 'sdists'; `limit`
    takes a seeded sample of the file names before anything is read."""
    found: dict[str, tuple[str, str, str, Callable[[], bytes | None]]] = {}
    for source, path in local_paths():
        parsed = parse_filename(path.name)
        if parsed is not None and path.name not in found and parsed[0] != OWN:
            found[path.name] = (*parsed, source, path.read_bytes)
    if installed:
        have = {(p, v) for name, (p, v, _, _) in found.items() if name.endswith(".whl")}
        for project, version, filename, read in installed_wheels(Path(sys.prefix)):
            if (project, version) not in have and project != OWN:
                found.setdefault(filename, (project, version, "site-packages", read))
    names = sorted(n for n in found if only is None or _kind(n) + "s" == only)
    if limit is not None and limit < len(names):
        names = sorted(random.Random(7).sample(names, limit))
    files = []
    for name in names:
        project, version, source, read = found[name]
        data = read()
        if data is not None:
            files.append(CorpusFile(project, version, name, source, data))
    return sorted(files, key=lambda f: (f.project, f.filename))


def _kind(filename: str) -> str:
    return "wheel" if filename.endswith(".whl") else "sdist"


def installed_wheels(
    prefix: Path,
) -> Iterator[tuple[str, str, str, Callable[[], bytes | None]]]:
    """(project, version, filename, build) of a wheel to zip from each installed distribution."""
    for site in prefix.glob("lib/python3*/site-packages"):
        for info in sorted(site.glob("*.dist-info")):
            record = info / "RECORD"
            if not record.exists() or not (info / "METADATA").exists():
                continue
            meta = _headers((info / "METADATA").read_bytes())
            name, version = meta.get("name", [""])[0], meta.get("version", [""])[0]
            if name:
                filename = f"{name.replace('-', '_')}-{version}-{_wheel_tag(info)}.whl"
                read = functools.partial(_zip_record, site, record)
                yield canonicalize_name(name), version, filename, read


def _zip_record(site: Path, record: Path) -> bytes | None:
    buffer = io.BytesIO()
    written = 0
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for row in csv.reader(record.read_text(errors="replace").splitlines()):
            if not row or row[0].startswith(("..", "/")) or "__pycache__" in row[0]:
                continue
            path = site / row[0]
            if path.is_file() and not path.is_symlink():
                archive.write(path, row[0])
                written += 1
    return buffer.getvalue() if written else None


def _wheel_tag(info: Path) -> str:
    wheel = info / "WHEEL"
    if wheel.exists():
        tags = _headers(wheel.read_bytes()).get("tag", [])
        if tags:
            return tags[0]
    return "py3-none-any"


# ---------------------------------------------------------------- release metadata (as JSON would say)


def _headers(data: bytes) -> dict[str, list[str]]:
    message = BytesParser(policy=compat32).parsebytes(data, headersonly=True)
    out: dict[str, list[str]] = {}
    for key, value in message.items():
        out.setdefault(key.lower(), []).append(str(value))
    return out


def core_metadata(file: CorpusFile) -> dict[str, list[str]] | None:
    """METADATA of a wheel or PKG-INFO at the top of an sdist, as headers; None if absent."""
    try:
        if file.kind == "wheel" or file.filename.endswith(".zip"):
            with zipfile.ZipFile(io.BytesIO(file.data)) as archive:
                for name in archive.namelist():
                    parts = name.split("/")
                    if (parts[-1] in ("METADATA", "PKG-INFO")) and len(parts) == 2:
                        return _headers(archive.read(name))
            return None
        with tarfile.open(fileobj=io.BytesIO(file.data)) as tar:
            for member in tar:
                parts = member.name.split("/")
                if len(parts) == 2 and parts[1] == "PKG-INFO" and member.isfile():
                    extracted = tar.extractfile(member)
                    return _headers(extracted.read()) if extracted else None
    except (zipfile.BadZipFile, tarfile.TarError, OSError, EOFError):
        return None
    return None


def release_metadata(files: Iterable[CorpusFile]) -> dict[tuple[str, str], ReleaseMetadata]:
    """What the JSON API would serve per (project, version): PyPI keeps the metadata of one
    uploaded file; here a wheel's METADATA where there is one, else the sdist's PKG-INFO."""
    found: dict[tuple[str, str], ReleaseMetadata] = {}
    for file in sorted(files, key=lambda f: f.kind != "wheel"):
        key = (file.project, file.version)
        if key in found:
            continue
        headers = core_metadata(file)
        if headers is None:
            continue
        found[key] = ReleaseMetadata(
            name=headers.get("name", [file.project])[0],
            version=headers.get("version", [file.version])[0],
            summary=headers.get("summary", [""])[0],
            requires_dist=tuple(headers.get("requires-dist", [])),
            requires_python=headers.get("requires-python", [""])[0],
        )
    return found


# ---------------------------------------------------------------- fetching sdists from PyPI


def top_projects(limit: int) -> list[str]:
    with TOP.open(newline="") as handle:
        rows = sorted(csv.DictReader(handle, delimiter="\t"), key=lambda r: int(r["rank"]))
    return [row["normalized"] for row in rows[:limit]]


def fetch_json(url: str, accept: str = "application/json") -> dict[str, object] | None:
    """A JSON page, or None when the server answers with something else (HTML)."""
    request = urllib.request.Request(
        url, headers={"Accept": accept, "User-Agent": "pypi-sentinel-bench"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        if "json" not in response.headers.get("Content-Type", ""):
            return None
        return json.loads(response.read())  # type: ignore[no-any-return]


def newest_sdist(files: Iterable[dict[str, Any]]) -> tuple[str, str, str] | None:
    """(filename, url, sha256) of the newest final release's sdist among Simple API JSON files."""
    best: tuple[Version, str, str, str] | None = None
    for entry in files:
        filename = entry["filename"]
        if entry.get("yanked") or not filename.endswith((".tar.gz", ".zip")):
            continue
        parsed = parse_filename(filename)
        try:
            version = Version(parsed[1]) if parsed else None
        except InvalidVersion:
            continue
        sha = entry.get("hashes", {}).get("sha256")
        if version is None or version.is_prerelease or not sha:
            continue
        if best is None or version > best[0]:
            best = (version, filename, entry["url"], sha)
    return None if best is None else best[1:]


def find_sdist(project: str) -> tuple[str, str, str] | None:
    """The Simple API in its JSON form when PyPI serves it, else the JSON API's latest release
    (whose `urls` carry the same filename, url and sha256)."""
    page = fetch_json(SIMPLE.format(project), SIMPLE_JSON)
    if page is not None:
        found = newest_sdist(page.get("files", []))  # type: ignore[arg-type]
        # URLs on the page may be relative to it (a caching mirror in front of PyPI)
        return (
            None
            if found is None
            else (found[0], urljoin(SIMPLE.format(project), found[1]), found[2])
        )
    page = fetch_json(JSON_API.format(project))
    if page is None:
        return None
    urls: list[dict[str, Any]] = page.get("urls", [])  # type: ignore[assignment]
    found = newest_sdist(
        {**u, "hashes": u.get("digests", {})} for u in urls if u.get("packagetype") == "sdist"
    )
    return _absolute(found, JSON_API.format(project))


def _absolute(found: tuple[str, str, str] | None, page: str) -> tuple[str, str, str] | None:
    # this machine's PyPI serves file URLs relative to the page (../../packages/...)
    return None if found is None else (found[0], urljoin(page, found[1]), found[2])


def fetch_sdist(project: str, dest: Path, max_bytes: int) -> str:
    """Download one project's newest sdist into `dest`; returns a one-line outcome."""
    try:
        chosen = find_sdist(project)
        if chosen is None:
            return f"skip {project}: no sdist"
        filename, url, sha256 = chosen
        target = dest / filename
        if target.exists():
            return f"have {filename}"
        problem = download(url, sha256, target, max_bytes)
        if problem is not None:
            return f"skip {project}: {filename} {problem}"
        return f"got {filename} ({target.stat().st_size / 1e6:.1f} MB)"
    except (OSError, ValueError, KeyError) as exc:
        return f"skip {project}: {exc}"


def download(url: str, sha256: str, target: Path, max_bytes: int) -> str | None:
    """Fetch one file into `target` once its size and sha256 check out (plain HTTP: nothing in it
    runs); None when written, else why not."""
    with urllib.request.urlopen(url, timeout=120) as response:
        data = response.read(max_bytes + 1)
    if len(data) > max_bytes:
        return f"over {max_bytes // 1_000_000} MB"
    if hashlib.sha256(data).hexdigest() != sha256:
        return "sha256 mismatch"
    # a killed fetch leaves a .part, never a file that looks whole
    partial = target.with_name(target.name + ".part")
    partial.write_bytes(data)
    partial.rename(target)
    return None


def fetch_sdists(count: int, dest: Path = SDIST_CACHE, max_mb: int = 60, threads: int = 8) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    projects = top_projects(count)
    began = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        outcomes = list(pool.map(lambda p: fetch_sdist(p, dest, max_mb * 1_000_000), projects))
    for line in outcomes:
        print(line, file=sys.stderr)
    have = [p for p in dest.iterdir() if p.suffix in (".gz", ".zip")]
    print(
        f"{sum(o.startswith('got') for o in outcomes)} fetched, {sum(o.startswith('have') for o in outcomes)} "
        f"cached, {sum(o.startswith('skip') for o in outcomes)} skipped of the top {count}; "
        f"{len(have)} sdists ({sum(p.stat().st_size for p in have) / 1e6:.0f} MB) in {dest} "
        f"after {time.perf_counter() - began:.0f}s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fetch-sdists", type=int, metavar="N", help="top N projects of top.tsv")
    parser.add_argument(
        "--fetch-random",
        type=int,
        metavar="N",
        help="newest release of N projects sampled from benign.tsv",
    )
    parser.add_argument(
        "--max-mb",
        type=int,
        help="skip files larger than this (60 for sdists "
        "of top projects, 50 for the random sample)",
    )
    args = parser.parse_args(argv)
    if args.fetch_sdists:
        fetch_sdists(args.fetch_sdists, max_mb=args.max_mb or 60)
        return 0
    if args.fetch_random:
        from bench.random_corpus import fetch_random  # that module builds on this one

        fetch_random(args.fetch_random, max_mb=args.max_mb or 50)
        return 0
    files = load_files()
    by_source: dict[str, list[CorpusFile]] = {}
    for f in files:
        by_source.setdefault(f.source, []).append(f)
    for source, group in sorted(by_source.items()):
        print(f"{source:14} {len(group):5} files {sum(len(f.data) for f in group) / 1e6:9.1f} MB")
    print(f"{'total':14} {len(files):5} files, {len({f.project for f in files})} projects")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
