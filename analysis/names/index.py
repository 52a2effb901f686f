"""The name index: every lookup a name check needs, precomputed once from the corpus.

A check generates a handful of keys from the candidate name and probes hash maps; it never loops
over the corpus. Deletion neighbourhoods (SymSpell, depth 1) find every name one edit away;
confusable, token-order and python-affix forms each get their own map; names long enough for
Damerau-Levenshtein distance 2 are bucketed by their first and last three characters so rapidfuzz
only scores a short list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from analysis.corpus import Corpus
from analysis.names.forms import fold_confusables, tokens

MIN_TARGET_LENGTH = 2  # a one-letter target would make every one-letter name a squat
DL2_MIN_LENGTH = 8
DL2_TARGETS = 100  # distance-2 look-alikes are searched among this many most-downloaded names
PYTHON_WORDS = ("python", "py")


@dataclass(frozen=True, slots=True)
class Target:
    """A name people mean to type: a popular project, or an import name standing for one."""

    name: str
    project: str
    downloads: int
    rank: int  # 1 = most downloaded
    via_alias: bool = False


@dataclass(frozen=True, slots=True, eq=False)
class NameIndex:
    """Lookup tables over a corpus; build with build_index()."""

    targets: tuple[Target, ...]
    by_name: Mapping[str, int]  # target name -> position in targets (the project when both)
    aliases: Mapping[str, int]  # import name -> position of its target
    downloads: Mapping[str, int]  # popular project -> downloads
    floor: int  # the smallest download count in the corpus: an unlisted project has fewer
    deletions: Mapping[str, tuple[int, ...]]
    folded: Mapping[str, tuple[int, ...]]
    token_sets: Mapping[str, tuple[int, ...]]
    python_forms: Mapping[str, tuple[int, ...]]
    long_heads: Mapping[str, tuple[str, ...]]
    long_tails: Mapping[str, tuple[str, ...]]
    families: Mapping[str, int]  # all words but the last -> how many popular names share them
    corpus_source: str = ""
    corpus_date: str | None = None

    def __len__(self) -> int:
        return len(self.targets)


def build_index(corpus: Corpus) -> NameIndex:
    """Precompute every map the name checks probe."""
    targets = _targets(corpus)
    downloads = {p.name: p.downloads for p in corpus.projects}
    names = [t.name for t in targets]
    # An import name that is a project too (bs4, jwt) only answers to itself, not to typos:
    # its typos are already typos of the project. "" keys are dropped by _freeze.
    typed = ["" if t.via_alias and t.name in downloads else t.name for t in targets]
    return NameIndex(
        targets=targets,
        by_name=_first_positions(names),
        aliases={t.name: i for i, t in enumerate(targets) if t.via_alias},
        downloads=downloads,
        floor=min(p.downloads for p in corpus.projects),
        deletions=_freeze(_deletion_keys(typed)),
        folded=_freeze((fold_confusables(name), i) for i, name in enumerate(typed)),
        token_sets=_freeze(_token_keys(typed)),
        python_forms=_freeze(_python_keys(targets)),
        long_heads=_buckets(targets, typed, head=True),
        long_tails=_buckets(targets, typed, head=False),
        families=_families(names),
        corpus_source=corpus.source,
        corpus_date=corpus.last_update,
    )


def _targets(corpus: Corpus) -> tuple[Target, ...]:
    ranks = {p.name: rank for rank, p in enumerate(corpus.projects, 1)}
    found = [Target(p.name, p.name, p.downloads, ranks[p.name]) for p in corpus.projects]
    for alias, project in sorted(corpus.aliases.items()):
        # An import name that is also a project (bs4, sklearn, jwt) is both: two targets.
        owner = corpus.projects[ranks[project] - 1]
        found.append(Target(alias, project, owner.downloads, ranks[project], via_alias=True))
    return tuple(t for t in found if len(t.name) >= MIN_TARGET_LENGTH)


def _first_positions(names: list[str]) -> Mapping[str, int]:
    found: dict[str, int] = {}
    for i, name in enumerate(names):
        found.setdefault(name, i)  # projects come first: a name shared with an alias is the project
    return found


def _deletion_keys(names: list[str]) -> Iterable[tuple[str, int]]:
    for i, name in enumerate(names):
        yield name, i
        for j, char in enumerate(name):
            # Deleting either of a double letter gives one key; a deleted separator is the
            # confusable fold's business.
            if char != "-" and (j == 0 or char != name[j - 1]):
                yield name[:j] + name[j + 1 :], i


def _token_keys(names: list[str]) -> Iterable[tuple[str, int]]:
    for i, name in enumerate(names):
        words = tokens(name)
        if 2 <= len(words) <= 6:
            yield "-".join(sorted(words)), i


def _python_keys(targets: tuple[Target, ...]) -> Iterable[tuple[str, int]]:
    for i, target in enumerate(targets):
        if not target.via_alias:
            for form in python_forms(target.name):
                yield form, i


def python_forms(name: str) -> set[str]:
    """The name with 'python'/'py' dropped, swapped or added: python-dateutil <-> dateutil-py."""
    words = tokens(name)
    core = [w for w in words if w not in PYTHON_WORDS]
    if len(core) == len(words) and words[0].startswith("py") and len(words[0]) > 2:
        core = [words[0][2:], *words[1:]]  # pymongo -> mongo
    stem = "-".join(core)
    if len(stem.replace("-", "")) < 4 or stem.startswith("thon"):
        return set()
    forms = {f"python-{stem}", f"py-{stem}", f"py{stem}", f"{stem}-python", f"{stem}-py"}
    if len(stem) >= 5:
        forms.add(stem)
    forms.discard(name)
    return forms


def _buckets(
    targets: tuple[Target, ...], names: list[str], *, head: bool
) -> Mapping[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for target, name in zip(targets, names, strict=True):
        if len(name) >= DL2_MIN_LENGTH and target.rank <= DL2_TARGETS:
            found.setdefault(name[:3] if head else name[-3:], []).append(name)
    return {key: tuple(value) for key, value in found.items()}


def _families(names: list[str]) -> Mapping[str, int]:
    found: dict[str, int] = {}
    for name in names:
        if "-" in name:
            stem = name.rsplit("-", 1)[0]
            found[stem] = found.get(stem, 0) + 1
    return found


def _freeze(pairs: Iterable[tuple[str, int]]) -> Mapping[str, tuple[int, ...]]:
    found: dict[str, list[int]] = {}
    for key, value in pairs:  # each (key, value) pair comes once: see _deletion_keys
        found.setdefault(key, []).append(value)
    return {key: tuple(value) for key, value in found.items() if key}
