"""The index's file cache on disk: verified bytes only, by sha256, bounded in size (LRU).

A file enters the cache only after its digest matched the one upstream lists, so the cache is
content-addressed: the name is the digest. A hit touches the file's mtime; when the cache grows
past its bound, the least recently used files go first.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO

log = logging.getLogger(__name__)

_SHA256 = re.compile(r"[0-9a-f]{64}")


class FileCache:
    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def get(self, sha256: str) -> Path | None:
        """The cached file with this digest, marked as just used; None on a miss."""
        path = self._path(sha256)
        if path is None or not path.is_file():
            return None
        os.utime(path)
        return path

    def start(self) -> Download:
        self.root.mkdir(parents=True, exist_ok=True)
        return Download(self)

    def _path(self, sha256: str) -> Path | None:
        digest = sha256.lower()
        if not _SHA256.fullmatch(digest):
            return None  # never a path built from whatever upstream wrote
        return self.root / digest[:2] / digest

    def keep(self, temporary: Path, sha256: str) -> None:
        path = self._path(sha256)
        if path is None:
            temporary.unlink(missing_ok=True)
            return
        path.parent.mkdir(exist_ok=True)
        temporary.replace(path)
        self.evict(newest=path)

    def evict(self, newest: Path | None = None) -> None:
        """Remove the least recently used files until the cache fits its bound. `newest`, the
        file just kept, goes last among files of the same mtime: mtimes are coarse (a few ms),
        and it is the one a client is about to ask for again."""
        stats = ((p, p.stat()) for p in self.root.glob("??/*"))
        files = [(st.st_mtime, p == newest, st.st_size, p) for p, st in stats]
        total = sum(size for _, _, size, _ in files)
        for _, _, size, path in sorted(files):
            if total <= self.max_bytes:
                break
            path.unlink(missing_ok=True)
            total -= size
            log.info("index cache: evicted %s (%d bytes)", path.name, size)


class Download:
    """Bytes on their way from upstream: hashed and spooled as they pass."""

    def __init__(self, cache: FileCache) -> None:
        self.cache = cache
        self.hasher = hashlib.sha256()
        handle, name = tempfile.mkstemp(dir=cache.root, prefix=".partial-")
        self.path = Path(name)
        self.out: BinaryIO = os.fdopen(handle, "wb")

    def write(self, chunk: bytes) -> None:
        self.hasher.update(chunk)
        self.out.write(chunk)

    def finish(self, expected: str) -> bool:
        """Keep the file when its digest is `expected`; True when it is."""
        self.out.close()
        if self.hasher.hexdigest() == expected.lower():
            self.cache.keep(self.path, expected)
            return True
        self.path.unlink(missing_ok=True)
        return False

    def abandon(self) -> None:
        self.out.close()
        self.path.unlink(missing_ok=True)
