"""Real, small distribution files built in memory: sdists (.tar.gz/.zip), wheels and eggs.

Bytes are deterministic for a given recipe (fixed mtimes, gzip mtime 0), so digests stay stable
however often a file is rebuilt. Nothing in these archives is ever run: suspicious-looking
uploads carry harmless code such as `exec(base64.b64decode('cHJpbnQoMSk='))`, i.e. `print(1)`.
"""

from __future__ import annotations

import base64
import bz2
import gzip
import hashlib
import io
import re
import tarfile
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

_EPOCH_1980 = datetime(1980, 1, 1, tzinfo=UTC)  # the earliest time a zip entry can carry


@dataclass(frozen=True, slots=True)
class FileKind:
    """How PyPI classifies an uploaded file: JSON `packagetype` and `python_version`."""

    packagetype: str  # sdist, bdist_wheel, bdist_egg, bdist_wininst, ...
    python_version: str  # 'source' for sdists, else a tag such as py3, py2.py3, cp312


@dataclass(frozen=True, slots=True)
class ArchiveRecipe:
    """Everything needed to build one file's bytes."""

    name: str  # display name
    version: str
    filename: str
    metadata: Mapping[str, Any]
    built_at: datetime
    setup_py: str | None = None  # None: an ordinary setuptools call
    module_code: str | None = None  # None: a docstring and __version__


@dataclass(frozen=True, slots=True)
class Blob:
    """A built file and its digests, as PyPI reports them."""

    content: bytes
    sha256: str
    md5: str
    blake2b_256: str
    core_metadata: bytes | None  # wheel METADATA, served as `<url>.metadata` (PEP 658)

    @property
    def size(self) -> int:
        return len(self.content)

    @property
    def core_metadata_sha256(self) -> str | None:
        if self.core_metadata is None:
            return None
        return hashlib.sha256(self.core_metadata).hexdigest()

    def path(self, filename: str) -> str:
        """`aa/bb/<60 hex>/<filename>`, the files.pythonhosted.org layout."""
        digest = self.blake2b_256
        return f"{digest[:2]}/{digest[2:4]}/{digest[4:]}/{filename}"


def classify_filename(filename: str) -> FileKind:
    """PyPI's packagetype and python_version for a filename."""
    lower = filename.lower()
    if lower.endswith(".whl"):
        return FileKind("bdist_wheel", filename[:-4].split("-")[-3])
    if lower.endswith(".egg"):
        match = re.search(r"-py(\d+(?:\.\d+)?)", filename)
        return FileKind("bdist_egg", match.group(1) if match else "source")
    for suffix, packagetype in (
        (".exe", "bdist_wininst"),
        (".msi", "bdist_msi"),
        (".rpm", "bdist_rpm"),
        (".dmg", "bdist_dmg"),
    ):
        if lower.endswith(suffix):
            return FileKind(packagetype, "any")
    return FileKind("sdist", "source")


def module_name(name: str) -> str:
    """An importable module name for a project name."""
    module = re.sub(r"[^a-z0-9_]", "_", name.lower())
    return f"_{module}" if module[:1].isdigit() else module


def build_blob(recipe: ArchiveRecipe) -> Blob:
    return blob_of(*_build_content(recipe))


def blob_of(content: bytes, core: bytes | None = None) -> Blob:
    """Given bytes as a served file, with the digests PyPI lists for them."""
    return Blob(
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        md5=hashlib.md5(content, usedforsecurity=False).hexdigest(),
        blake2b_256=hashlib.blake2b(content, digest_size=32).hexdigest(),
        core_metadata=core,
    )


def _build_content(recipe: ArchiveRecipe) -> tuple[bytes, bytes | None]:
    lower = recipe.filename.lower()
    if lower.endswith(".whl"):
        return _wheel(recipe)
    if lower.endswith(".egg"):
        return _egg(recipe), None
    if lower.endswith((".tar.gz", ".tgz", ".tar.bz2", ".zip")):
        return _sdist(recipe), None
    return f"stand-in binary distribution {recipe.filename}\n".encode(), None


def render_core_metadata(recipe: ArchiveRecipe) -> str:
    """PKG-INFO / METADATA text (core metadata 2.1) for the recipe's metadata."""
    meta = recipe.metadata
    lines = ["Metadata-Version: 2.1", f"Name: {recipe.name}", f"Version: {recipe.version}"]
    for header, key in (
        ("Summary", "summary"),
        ("Home-page", "home_page"),
        ("Download-URL", "download_url"),
        ("Author", "author"),
        ("Author-email", "author_email"),
        ("Maintainer", "maintainer"),
        ("Maintainer-email", "maintainer_email"),
        ("License", "license"),
        ("Keywords", "keywords"),
        ("Requires-Python", "requires_python"),
    ):
        if meta.get(key):
            lines.append(f"{header}: {_one_line(str(meta[key]))}")
    for label, url in (meta.get("project_urls") or {}).items():
        lines.append(f"Project-URL: {_one_line(label)}, {_one_line(url)}")
    lines += [f"Classifier: {c}" for c in meta.get("classifiers") or ()]
    lines += [f"Requires-Dist: {r}" for r in meta.get("requires_dist") or ()]
    lines += [f"Provides-Extra: {e}" for e in meta.get("provides_extra") or ()]
    if meta.get("description_content_type"):
        lines.append(f"Description-Content-Type: {meta['description_content_type']}")
    return "\n".join(lines) + "\n\n" + str(meta.get("description") or "")


def _one_line(text: str) -> str:
    return " ".join(text.splitlines())


def _setup_py(recipe: ArchiveRecipe) -> str:
    if recipe.setup_py is not None:
        return recipe.setup_py
    return (
        "from setuptools import setup\n\n"
        f"setup(\n    name={recipe.name!r},\n    version={recipe.version!r},\n"
        f"    packages=[{module_name(recipe.name)!r}],\n)\n"
    )


def _module_code(recipe: ArchiveRecipe) -> str:
    if recipe.module_code is not None:
        return recipe.module_code
    summary = _one_line(str(recipe.metadata.get("summary") or recipe.name)).replace('"', "'")
    return f'"""{summary}"""\n\n__version__ = {recipe.version!r}\n'


def _pyproject(recipe: ArchiveRecipe) -> str:
    return (
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n'
    )


def _sdist(recipe: ArchiveRecipe) -> bytes:
    stem = re.sub(r"\.(tar\.gz|tgz|tar\.bz2|zip)$", "", recipe.filename, flags=re.IGNORECASE)
    module = module_name(recipe.name)
    members = [
        (f"{stem}/PKG-INFO", render_core_metadata(recipe)),
        (f"{stem}/README.md", str(recipe.metadata.get("description") or "")),
        (f"{stem}/pyproject.toml", _pyproject(recipe)),
        (f"{stem}/setup.py", _setup_py(recipe)),
        (f"{stem}/{module}/__init__.py", _module_code(recipe)),
    ]
    encoded = [(path, text.encode()) for path, text in members]
    if recipe.filename.lower().endswith(".zip"):
        return _zip(encoded, recipe.built_at)
    return _tar(encoded, recipe.built_at, use_bz2=recipe.filename.lower().endswith(".bz2"))


def _wheel(recipe: ArchiveRecipe) -> tuple[bytes, bytes]:
    parts = recipe.filename[:-4].split("-")
    dist, version = parts[0], parts[1]
    info = f"{dist}-{version}.dist-info"
    metadata = render_core_metadata(recipe).encode()
    tags = [
        f"{py}-{abi}-{plat}"
        for py in parts[-3].split(".")
        for abi in parts[-2].split(".")
        for plat in parts[-1].split(".")
    ]
    wheel = "Wheel-Version: 1.0\nGenerator: pypi-sentinel-standin (0.1)\n"
    wheel += f"Root-Is-Purelib: {'true' if parts[-1] == 'any' else 'false'}\n"
    wheel += "".join(f"Tag: {tag}\n" for tag in tags)
    members = [
        (f"{module_name(recipe.name)}/__init__.py", _module_code(recipe).encode()),
        (f"{info}/METADATA", metadata),
        (f"{info}/WHEEL", wheel.encode()),
    ]
    record = "".join(f"{path},sha256={_record_hash(data)},{len(data)}\n" for path, data in members)
    members.append((f"{info}/RECORD", (record + f"{info}/RECORD,,\n").encode()))
    return _zip(members, recipe.built_at), metadata


def _egg(recipe: ArchiveRecipe) -> bytes:
    members = [
        ("EGG-INFO/PKG-INFO", render_core_metadata(recipe).encode()),
        (f"{module_name(recipe.name)}/__init__.py", _module_code(recipe).encode()),
    ]
    return _zip(members, recipe.built_at)


def _record_hash(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _tar(members: Iterable[tuple[str, bytes]], when: datetime, *, use_bz2: bool) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path, data in members:
            info = tarfile.TarInfo(path)
            info.size, info.mtime, info.mode = len(data), int(when.timestamp()), 0o644
            tar.addfile(info, io.BytesIO(data))
    if use_bz2:
        return bz2.compress(raw.getvalue())
    return gzip.compress(raw.getvalue(), mtime=0)


def _zip(members: Iterable[tuple[str, bytes]], when: datetime) -> bytes:
    stamp = max(when, _EPOCH_1980).astimezone(UTC)
    date_time = (stamp.year, stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, data in members:
            info = zipfile.ZipInfo(path, date_time=date_time)
            info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
            archive.writestr(info, data)
    return out.getvalue()
