"""The index's file cache: least recently used goes first (a hit counts as a use), the bound holds
after every file kept, a download in flight is never evicted, and only a sha256 names a path."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from collector.index.cache import FileCache

SIZE = 100  # bytes per test file


def blob(tag: str, size: int = SIZE) -> bytes:
    return tag.encode().ljust(size, b".")


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def put(cache: FileCache, data: bytes) -> str:
    """A verified download kept, as the index keeps one."""
    download = cache.start()
    download.write(data)
    assert download.finish(digest(data))
    return digest(data)


def used_at(cache: FileCache, sha256: str, when: float) -> None:
    """Pretend the file was last used at `when` (seconds since the epoch)."""
    os.utime(cache.root / sha256[:2] / sha256, (when, when))


def kept(cache: FileCache) -> set[str]:
    return {p.name for p in cache.root.glob("??/*")}


def total(cache: FileCache) -> int:
    return sum(p.stat().st_size for p in cache.root.glob("??/*"))


def test_the_least_recently_used_file_goes_first_and_a_hit_counts_as_a_use(
    tmp_path: Path,
) -> None:
    cache = FileCache(tmp_path, max_bytes=3 * SIZE)
    a, b, c = (put(cache, blob(tag)) for tag in "abc")
    for sha256, when in ((a, 1_000), (b, 2_000), (c, 3_000)):
        used_at(cache, sha256, when)
    hit = cache.get(a)  # a was the oldest; this use makes it the newest
    assert hit is not None
    assert hit.read_bytes() == blob("a")
    d = put(cache, blob("d"))
    assert kept(cache) == {a, c, d}  # b, unused since 2,000, went; a stayed for its hit
    used_at(cache, a, 1_000)  # no hit this time: a is the oldest again
    e = put(cache, blob("e"))
    assert kept(cache) == {c, d, e}
    assert cache.get(a) is None
    assert cache.get(b) is None


def test_the_bound_holds_after_every_file_kept(tmp_path: Path) -> None:
    cache = FileCache(tmp_path, max_bytes=1_000)
    for n, size in enumerate([300, 500, 200, 700, 50, 999, 10]):
        newest = put(cache, blob(str(n), size))
        used_at(cache, newest, 1_000 + n)  # each file newer than the last, whatever the clock
        assert total(cache) <= 1_000
        assert newest in kept(cache)  # the newest fits the bound alone, so it stays


def test_the_file_just_kept_stays_when_others_share_its_mtime(tmp_path: Path) -> None:
    """Filesystem clocks tick every few ms: a tie must not evict what was just verified."""
    cache = FileCache(tmp_path, max_bytes=2 * SIZE)
    a, b = put(cache, blob("a")), put(cache, blob("b"))
    used_at(cache, a, 5_000)
    used_at(cache, b, 5_000)
    download = cache.start()
    download.write(blob("c", SIZE // 2))  # the smallest: first to go when ties fall to size
    download.out.close()
    os.utime(download.path, (5_000, 5_000))
    cache.keep(download.path, digest(blob("c", SIZE // 2)))
    assert digest(blob("c", SIZE // 2)) in kept(cache)
    assert len(kept(cache)) == 2


def test_a_file_larger_than_the_whole_bound_is_not_kept(tmp_path: Path) -> None:
    cache = FileCache(tmp_path, max_bytes=SIZE)
    small = put(cache, blob("small"))
    assert put(cache, blob("big", 2 * SIZE))  # verified, so served; only not kept
    assert kept(cache) <= {small}
    assert total(cache) <= SIZE


def test_a_download_in_flight_is_never_evicted(tmp_path: Path) -> None:
    cache = FileCache(tmp_path, max_bytes=SIZE)
    in_flight = cache.start()
    in_flight.write(blob("slow"))
    for n, tag in enumerate("xyz"):
        used_at(cache, put(cache, blob(tag)), 1_000 + n)
    assert in_flight.path.exists()
    assert in_flight.finish(digest(blob("slow")))
    assert kept(cache) == {digest(blob("slow"))}
    assert not list(tmp_path.glob(".partial-*"))


def test_a_failed_or_abandoned_download_leaves_nothing(tmp_path: Path) -> None:
    cache = FileCache(tmp_path, max_bytes=10 * SIZE)
    failed, abandoned = cache.start(), cache.start()
    failed.write(blob("evil"))
    abandoned.write(blob("half"))
    assert not failed.finish(digest(blob("good")))
    abandoned.abandon()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_an_uppercase_digest_names_the_same_file(tmp_path: Path) -> None:
    cache = FileCache(tmp_path, max_bytes=10 * SIZE)
    sha256 = put(cache, blob("a"))
    assert cache.get(sha256.upper()) == cache.get(sha256)
    assert cache.get(sha256) is not None


@pytest.mark.parametrize(
    "unsafe",
    [
        "../" + "a" * 61,
        "aa/../../" + "a" * 55,
        "/etc/passwd",
        "g" * 64,
        "a" * 63,
        "a" * 65,
        "",
        "a" * 64 + "\n",
    ],
)
def test_only_a_sha256_ever_becomes_a_path(tmp_path: Path, unsafe: str) -> None:
    root = tmp_path / "cache"
    cache = FileCache(root, max_bytes=10 * SIZE)
    assert cache.get(unsafe) is None
    download = cache.start()
    download.write(b"upstream wrote this digest")
    spool = download.path
    download.out.close()
    cache.keep(spool, unsafe)  # as if it had matched: still no path from it
    assert not spool.exists()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
