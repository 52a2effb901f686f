"""The prepared name index, kept in HOME/cache beside the list it was built from.

Building the index takes longer than checking thousands of names, and a one-shot command pays
for it on every run. The first run saves it; later runs load it when both the list and the
code that builds the index are the same (a digest of each names the file), else build afresh.
The file is a pickle: it is loaded only from the user's own cache directory, when the user owns
it and nobody else may write it, the trust given to the code itself.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import os
import pickle
from importlib import resources
from pathlib import Path

from analysis import Corpus, NameIndex, build_index

log = logging.getLogger(__name__)

PREFIX = "name-index-"
INDEX_CODE = ("analysis", "analysis.names")  # the packages whose modules an index depends on


def index_key(corpus: Corpus) -> str:
    """A digest of the list and of the analysis modules: either changing means a new index."""
    digest = hashlib.sha256()
    for name, downloads in ((p.name, p.downloads) for p in corpus.projects):
        digest.update(f"{name} {downloads}\n".encode())
    digest.update(repr(sorted(corpus.aliases.items())).encode())
    digest.update(repr((corpus.source, corpus.last_update)).encode())
    for package in INDEX_CODE:  # the index's classes and the code that builds it
        for source in sorted(resources.files(package).iterdir(), key=lambda entry: entry.name):
            if source.name.endswith(".py"):
                digest.update(source.read_bytes())
    return digest.hexdigest()[:32]


def load_or_build_index(cache_dir: Path, corpus: Corpus) -> NameIndex:
    """The saved index for this list and code if there is one, else a new one, saved."""
    path = cache_dir / f"{PREFIX}{index_key(corpus)}.pickle"
    index = _read(path)
    if index is None:
        index = build_index(corpus)
        _write(cache_dir, path, index)
    return index


def _trusted(path: Path) -> bool:
    """Ours and writable by us alone: a pickle runs code, so only our own is ever loaded."""
    try:
        stat = path.stat()
    except OSError:  # not saved yet, or the cache is not a directory: build it
        return False
    getuid = getattr(os, "getuid", None)  # not on Windows, where the home is per user anyway
    owner_ok = getuid is None or stat.st_uid == getuid()
    if owner_ok and not stat.st_mode & 0o022:
        return True
    log.warning("ignoring saved name index %s: not ours alone to write", path)
    return False


def _read(path: Path) -> NameIndex | None:
    if not _trusted(path):
        return None
    gc.disable()  # millions of small objects: collection passes while loading only cost time
    try:
        index = pickle.loads(path.read_bytes())  # noqa: S301 - our own file, checked by _trusted
    except (
        OSError,
        pickle.UnpicklingError,
        EOFError,
        AttributeError,
        ImportError,
        TypeError,
    ) as exc:
        log.warning("saved name index %s is unreadable (%s); building it again", path, exc)
        return None
    finally:
        gc.enable()
    return index if isinstance(index, NameIndex) else None


def _write(cache_dir: Path, path: Path, index: NameIndex) -> None:
    """Save atomically, dropping indexes of other lists or code; a read-only home only warns."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(pickle.dumps(index, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(partial, path)
        for old in cache_dir.glob(f"{PREFIX}*.pickle"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("could not save the name index in %s (%s)", cache_dir, exc)
