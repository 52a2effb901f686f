"""Member names: a readable form of any name, and the verdict on where it would land."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from analysis.archive import findings as ids

# A drive (C:), a root (/ or \), which covers UNC (\\server) too.
_ABSOLUTE = re.compile(r"^(?:[A-Za-z]:|[/\\])")
# C0 controls, DEL and C1 controls: they rewrite what a terminal or a RECORD line shows.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Lone surrogates are the undecodable bytes kept by surrogateescape.
_UNDECODABLE = re.compile(r"[\udc80-\udcff]")
# Only these spell one file two ways (or climb); anything else is already normal.
_UNNORMAL = re.compile(r"(?:^|/)\.\.?(?:/|$)|//|/$")


@dataclass(frozen=True, slots=True)
class PathVerdict:
    """Where a member name would land: `refusal` is set when it must not be read at all, `key` is
    the normalised path that two copies of one file share."""

    path: str  # readable: control characters and undecodable bytes shown as \xNN
    key: str
    refusal: str | None = None  # a check id: traversal, absolute path or depth
    bad_name: str | None = None  # why the name itself is suspicious, if it is


def readable(name: str) -> str:
    """The name with control characters and undecodable bytes escaped as \\xNN."""
    if _CONTROL.search(name) is None and _UNDECODABLE.search(name) is None:
        return name
    name = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", name)
    return _UNDECODABLE.sub(lambda m: f"\\x{ord(m.group()) - 0xDC00:02x}", name)


def judge_path(name: str, max_depth: int, *, undecodable: bool = False) -> PathVerdict:
    """Judge one member name. `undecodable`: the archive format says the name is not UTF-8 even
    though it decoded (a zip name without the UTF-8 flag)."""
    path = readable(name)
    # Windows installers treat a backslash as a separator, so it counts as one here.
    slashed = name.replace("\\", "/")
    key = posixpath.normpath(slashed) if _UNNORMAL.search(slashed) else slashed
    refusal = None
    if _ABSOLUTE.match(name):
        refusal = ids.ABSOLUTE
    elif key == ".." or key.startswith("../"):
        refusal = ids.TRAVERSAL
    elif key.count("/") + 1 > max_depth:
        refusal = ids.DEEP_PATH
    return PathVerdict(path, key, refusal, _bad_name(name, undecodable))


def link_escapes(key: str, target: str, *, hard: bool = False) -> bool:
    """Whether a link at `key` (a judged member path) points outside its top-level directory: an
    absolute target, or one that climbs out. A symlink's target is relative to its directory, a
    tar hardlink's to the archive root. pip unpacks an sdist's top directory as the root, so a
    link must stay inside that, not merely inside the archive."""
    if _ABSOLUTE.match(target):
        return True
    base = "" if hard else posixpath.dirname(key)
    resolved = posixpath.normpath(posixpath.join(base, target.replace("\\", "/")))
    top = key.partition("/")[0] + "/" if "/" in key else ""
    return resolved == ".." or resolved.startswith("../") or not (resolved + "/").startswith(top)


def _bad_name(name: str, undecodable: bool) -> str | None:
    if _CONTROL.search(name):
        return "control characters"
    if undecodable or _UNDECODABLE.search(name):
        return "not UTF-8"
    return None
