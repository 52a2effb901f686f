"""Made-up project names: ordinary ones that imitate nothing, and typosquats of given popular names.

No real package names live here; the popular names always come from the caller.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from analysis.names import normalize

_ROOTS = (
    "aster",
    "bramble",
    "cinder",
    "dunlin",
    "ember",
    "fjord",
    "garnet",
    "heron",
    "indigo",
    "juniper",
    "kestrel",
    "lumen",
    "marlin",
    "nimbus",
    "onyx",
    "pylon",
    "quill",
    "raven",
    "sable",
    "tundra",
    "umber",
    "vortex",
    "willow",
    "xylem",
    "yarrow",
    "zephyr",
    "basalt",
    "cobalt",
    "drizzle",
    "eddy",
    "fennel",
    "gully",
    "hollow",
    "islet",
    "jetty",
    "kiln",
    "larch",
    "mica",
    "nettle",
    "ochre",
    "pewter",
    "quarry",
    "rivet",
    "sorrel",
    "thistle",
)
_TOPICS = (
    "cache",
    "config",
    "ledger",
    "queue",
    "graph",
    "schema",
    "metrics",
    "auth",
    "render",
    "sync",
    "stream",
    "parser",
    "router",
    "vault",
    "index",
    "tensor",
    "geo",
    "audio",
    "image",
    "text",
    "crawl",
    "batch",
    "event",
    "lint",
    "report",
    "shell",
    "deploy",
    "notebook",
    "plot",
    "secrets",
    "tiles",
    "forms",
    "mailer",
    "billing",
    "survey",
    "sensor",
    "ticket",
    "budget",
)
_SUFFIXES = (
    "kit",
    "lib",
    "tools",
    "client",
    "sdk",
    "core",
    "utils",
    "io",
    "lab",
    "hub",
    "flow",
    "engine",
    "server",
    "cli",
    "plus",
    "x",
)
_COMBO_SUFFIXES = (
    "utils",
    "tools",
    "sdk",
    "dev",
    "helper",
    "lib",
    "api",
    "client",
    "plus",
    "extra",
)
_AFFIXES = ("python-{}", "py{}", "{}-python", "{}py", "python3-{}")
_QWERTY = dict(
    zip(
        "qwertyuiopasdfghjklzxcvbnm",
        (
            "wa",
            "qes",
            "wrd",
            "etf",
            "ryg",
            "tuh",
            "yij",
            "uok",
            "ipl",
            "ol",
            "qsz",
            "awdx",
            "sefc",
            "drgv",
            "fthb",
            "gyjn",
            "hukm",
            "jil",
            "kop",
            "xas",
            "zcsd",
            "xvdf",
            "cbfg",
            "vnhg",
            "bmjh",
            "nkj",
        ),
        strict=True,
    )
)
_VALID = re.compile(r"^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$")


# ------------------------------------------------------------------------------ typosquats
def _omitted(name: str, rng: random.Random) -> str | None:
    if len(name) < 4:
        return None
    i = rng.randrange(len(name))
    return name[:i] + name[i + 1 :]


def _repeated(name: str, rng: random.Random) -> str | None:
    letters = [i for i, c in enumerate(name) if c.isalpha()]
    if not letters:
        return None
    i = rng.choice(letters)
    return name[: i + 1] + name[i:]


def _swapped(name: str, rng: random.Random) -> str | None:
    spots = [
        i
        for i in range(len(name) - 1)
        if name[i] != name[i + 1] and (name[i] + name[i + 1]).isalnum()
    ]
    if not spots:
        return None
    i = rng.choice(spots)
    return name[:i] + name[i + 1] + name[i] + name[i + 2 :]


def _substituted(name: str, rng: random.Random) -> str | None:
    spots = [i for i, c in enumerate(name) if c in _QWERTY]
    if not spots:
        return None
    i = rng.choice(spots)
    return name[:i] + rng.choice(_QWERTY[name[i]]) + name[i + 1 :]


def _separator(name: str, rng: random.Random) -> str | None:
    dashes = [i for i, c in enumerate(name) if c == "-"]
    if dashes:
        i = rng.choice(dashes)
        return name[:i] + name[i + 1 :]
    if len(name) < 5:
        return None
    i = rng.randrange(2, len(name) - 2)
    return name[:i] + "-" + name[i:]


def _affix(name: str, rng: random.Random) -> str | None:
    if name.startswith("py"):
        return None
    return rng.choice(_AFFIXES).format(name)


def _combo(name: str, rng: random.Random) -> str | None:
    return f"{name}-{rng.choice(_COMBO_SUFFIXES)}"


def _version_suffix(name: str, rng: random.Random) -> str | None:
    return None if name[-1].isdigit() else f"{name}{rng.choice('23')}"


TECHNIQUES: dict[str, Callable[[str, random.Random], str | None]] = {
    "omitted-char": _omitted,
    "repeated-char": _repeated,
    "swapped-chars": _swapped,
    "substituted-char": _substituted,
    "separator": _separator,
    "affix": _affix,
    "combosquat": _combo,
    "version-suffix": _version_suffix,
}


class NameMaker:
    """Names for new projects, never colliding with one already taken or a popular name."""

    def __init__(self, rng: random.Random, popular: Sequence[str], taken: set[str]) -> None:
        self.rng = rng
        self.popular = [normalize(p) for p in popular]
        self._popular_set = set(self.popular)
        self._popular_tokens = {p for p in self.popular if len(p) >= 4}
        self._by_length: dict[int, list[str]] = {}
        for name in self.popular:
            self._by_length.setdefault(len(name), []).append(name)
        self._windows: dict[int, list[str]] = {}
        self.taken = taken  # normalized names; shared with the caller, updated here

    def target(self) -> str:
        """A popular name, the head of the list far more often than its tail."""
        return self.popular[int(len(self.popular) * self.rng.random() ** 3)]

    def typosquat(self, target: str) -> tuple[str, str] | None:
        """(display name, technique) of a free name imitating `target`, or None."""
        for _ in range(8):
            technique = self.rng.choice(list(TECHNIQUES))
            candidate = TECHNIQUES[technique](target, self.rng)
            if candidate and self._free(candidate) and normalize(candidate) != target:
                self.taken.add(normalize(candidate))
                return self._display(candidate), technique
        return None

    def ordinary(self) -> str:
        """A plausible name that imitates no popular project."""
        while True:
            candidate = self._compose()
            if self._free(candidate) and not self._imitates(normalize(candidate)):
                self.taken.add(normalize(candidate))
                return self._display(candidate)

    def _compose(self) -> str:
        rng = self.rng
        root, topic, suffix = rng.choice(_ROOTS), rng.choice(_TOPICS), rng.choice(_SUFFIXES)
        pattern = rng.randrange(6)
        if pattern == 0:
            return f"{root}-{topic}"
        if pattern == 1:
            return f"{root}{topic}"
        if pattern == 2:
            return (
                f"{topic}-{suffix}-{rng.randint(2, 99)}"
                if rng.random() < 0.3
                else f"{root}-{suffix}"
            )
        if pattern == 3:
            return f"{root}-{topic}-{suffix}"
        if pattern == 4:
            return f"{root}{rng.choice(_ROOTS)}"
        return f"{topic}-{root}"

    def _display(self, name: str) -> str:
        """Mostly the normalized form; sometimes underscores or capitals, as people type them."""
        roll = self.rng.random()
        if roll < 0.1:
            return name.replace("-", "_")
        if roll < 0.15:
            return "-".join(part.capitalize() for part in name.split("-"))
        return name

    def _free(self, name: str) -> bool:
        normalized = normalize(name) if _VALID.match(name) else ""
        return (
            bool(normalized)
            and normalized not in self.taken
            and normalized not in self._popular_set
        )

    def _imitates(self, normalized: str) -> bool:
        if any(token in self._popular_tokens for token in normalized.split("-")):
            return True
        if len(normalized) < 5:
            return False
        match = process.extractOne(
            normalized, self._window(len(normalized)), scorer=Levenshtein.distance, score_cutoff=2
        )
        return match is not None

    def _window(self, size: int) -> list[str]:
        """Popular names that could be within edit distance 2: lengths size-2 to size+2."""
        if size not in self._windows:
            lengths = range(size - 2, size + 3)
            self._windows[size] = [n for length in lengths for n in self._by_length.get(length, ())]
        return self._windows[size]


def invent_popular(rng: random.Random, count: int = 20) -> list[str]:
    """Stand-in 'popular' names for when the caller has no corpus (standalone runs)."""
    names: list[str] = []
    while len(names) < count:
        name = f"{rng.choice(_ROOTS)}{rng.choice(_TOPICS)}"
        if name not in names:
            names.append(name)
    return names
