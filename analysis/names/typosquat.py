"""Typosquat rules: which popular project a name imitates, by which rule, how closely.

match_name() probes the NameIndex with forms of the candidate (itself, its one-letter deletions,
its confusable fold, its sorted tokens, ...) and turns each hit into a NameMatch with a named rule,
the edit, the popularity gap and a strength score. Guards keep plugin ecosystems, short words,
projects that are popular themselves and same-owner projects out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from analysis.model import Ownership
from analysis.names.edits import Edit, classify_edit
from analysis.names.forms import fast_normalize, fold_confusables, tokens, ultranormalize
from analysis.names.index import DL2_MIN_LENGTH, NameIndex, Target, python_forms

CONFUSABLE = "typosquat.confusable"
MULTI_LETTER = "typosquat.look-alike-letters"
OMITTED = "typosquat.omitted-char"
REPEATED = "typosquat.repeated-char"
INSERTED = "typosquat.inserted-char"
SUBSTITUTED = "typosquat.substituted-char"
SWAPPED = "typosquat.swapped-chars"
TOKENS = "typosquat.swapped-tokens"
PYTHON_AFFIX = "typosquat.python-affix"
VERSION = "typosquat.version-suffix"
COMBO = "typosquat.combosquat"
IMPORT_NAME = "typosquat.import-name"
DISTANCE_2 = "typosquat.distance-2"

# How strongly each rule alone points at imitation, before length and popularity adjustments.
BASE_STRENGTH: Mapping[str, int] = {
    CONFUSABLE: 60,
    MULTI_LETTER: 55,
    IMPORT_NAME: 55,
    OMITTED: 50,
    REPEATED: 55,
    SWAPPED: 55,
    SUBSTITUTED: 50,
    TOKENS: 50,
    INSERTED: 45,
    PYTHON_AFFIX: 45,
    VERSION: 55,
    COMBO: 30,
    DISTANCE_2: 25,
}
_OP_RULES = {
    "omit": OMITTED,
    "repeat": REPEATED,
    "insert": INSERTED,
    "substitute": SUBSTITUTED,
    "swap": SWAPPED,
}
_SLIP_RULES = frozenset(_OP_RULES.values())
_CHARACTER_RULES = _SLIP_RULES | {DISTANCE_2}
FLAG_STRENGTH = 40  # a match this strong is worth a person's look (severity low)
POPULAR_CANDIDATE_RATIO = 1000  # a popular project is only a squat of one this much bigger
MIN_POPULARITY_RATIO = 2  # below this the "target" is barely more popular than the candidate
MAX_MATCHES = 5
# The list is a snapshot and popularity moves: of the top 5,000 of November 2026, 290 had ranked
# 5,001-10,000 in the April list and 12 lower. Down to this rank a typing slip's target is not
# marked down (the other rules keep the top 5,000: affixes and versions of mid-ranked names were
# mostly other projects).
RISING = 10_000
MOST_IMITATED = 100  # deliberate look-alikes (two edits, any letter) are only flagged against these
FAMILY_SIZE = 3  # this many popular `<stem>-*` names make `<stem>` a family of siblings

# Words people bolt onto a popular name (crates.io affixes, plus PyPI's usual suspects).
COMBO_SUFFIXES = frozenset(
    {
        "api",
        "async",
        "cli",
        "client",
        "core",
        "dev",
        "ext",
        "extra",
        "extras",
        "fix",
        "free",
        "hack",
        "helper",
        "helpers",
        "latest",
        "lib",
        "libs",
        "new",
        "official",
        "patch",
        "plus",
        "pro",
        "sdk",
        "secure",
        "tool",
        "toolkit",
        "tools",
        "update",
        "updated",
        "util",
        "utils",
        "wrapper",
    }
)
COMBO_PREFIXES = frozenset(
    {
        "async",
        "better",
        "easy",
        "fast",
        "free",
        "lib",
        "new",
        "official",
        "real",
        "secure",
        "simple",
        "super",
        "true",
    }
)
# Plugin ecosystems: `<host>-<anything>` is how these communities name plugins, not a squat of
# the host. A rule about naming, not a list of projects.
PLUGIN_HOSTS = frozenset(
    {
        "airflow",
        "apache-airflow-providers",
        "aws-cdk",
        "azure",
        "azure-mgmt",
        "botocore-a-la-carte",
        "cdktf",
        "celery",
        "certbot-dns",
        "collective",
        "dagster",
        "datasette",
        "dbt",
        "django",
        "djangorestframework",
        "drf",
        "fastapi",
        "flake8",
        "flask",
        "google-cloud",
        "hatch",
        "ipython",
        "jupyter",
        "jupyterlab",
        "kedro",
        "langchain",
        "llama-index",
        "mkdocs",
        "mypy-boto3",
        "napari",
        "nox",
        "odoo",
        "opentelemetry",
        "opentelemetry-instrumentation",
        "pdm",
        "pelican",
        "plone",
        "poetry",
        "pre-commit",
        "prefect",
        "pylint",
        "pyobjc-framework",
        "pyramid",
        "pytest",
        "robotframework",
        "sentry",
        "setuptools",
        "sphinx",
        "sphinxcontrib",
        "streamlit",
        "tencentcloud-sdk-python",
        "tox",
        "types",
        "types-aiobotocore",
        "wagtail",
    }
)
_VERSION_SUFFIX = re.compile(r"^([a-z0-9-]*?[a-z])-?([0-9]{1,3})$")


@dataclass(frozen=True, slots=True)
class NameMatch:
    """The candidate looks like `target` by `rule`; `score` says how strongly (0-100)."""

    name: str  # the candidate, normalized
    target: str  # the project it imitates, normalized
    rule: str  # check id, e.g. typosquat.omitted-char
    distance: int  # edits between candidate and the imitated name (0 for folding rules)
    target_downloads: int
    candidate_downloads: int | None  # None when the candidate is not in the corpus
    popularity_ratio: float  # target downloads over the candidate's (or the corpus floor)
    score: int
    imitated: str = ""  # the name actually imitated: the target or an import name of it
    edit: Mapping[str, Any] = field(default_factory=dict)

    @property
    def check_id(self) -> str:
        return self.rule

    @property
    def flagged(self) -> bool:
        return self.score >= FLAG_STRENGTH

    def as_evidence(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "target": self.target,
            "imitated": self.imitated or self.target,
            "rule": self.rule,
            "distance": self.distance,
            "edit": dict(self.edit),
            "target_downloads": self.target_downloads,
            "candidate_downloads": self.candidate_downloads,
            "popularity_ratio": round(self.popularity_ratio, 1),
        }


@dataclass(frozen=True, slots=True)
class NameHit:
    """One rule's raw finding: `target` is near the candidate; scored and guarded afterwards."""

    target: Target
    rule: str
    distance: int
    edit: Mapping[str, Any]


Rule = Callable[[str, NameIndex], Iterator[NameHit]]


def match_name(
    name: str,
    index: NameIndex,
    *,
    ownership: Ownership | None = None,
    target_ownership: Mapping[str, Ownership] | None = None,
) -> tuple[NameMatch, ...]:
    """Every popular project `name` imitates, strongest first (at most MAX_MATCHES)."""
    candidate = fast_normalize(name.strip())
    if len(candidate) < 2:
        return ()
    hits = [hit for rule in RULES for hit in rule(candidate, index)]
    if not hits:
        return ()  # the usual case: nothing popular nearby
    best: dict[str, NameMatch] = {}
    for hit in hits:
        found = _score(candidate, hit, index)
        if found is not None and _allowed(found, ownership, target_ownership):
            kept = best.get(found.target)
            if kept is None or found.score > kept.score:
                best[found.target] = found
    ranked = sorted(best.values(), key=lambda m: (-m.score, -m.target_downloads, m.target))
    return tuple(ranked[:MAX_MATCHES])


# -- the rules: each probes the index with a form of the candidate -----------------------------


def import_name(candidate: str, index: NameIndex) -> Iterator[NameHit]:
    """The candidate is the import name of a popular project published under another name."""
    alias = index.aliases.get(candidate)
    if alias is not None:
        yield NameHit(index.targets[alias], IMPORT_NAME, 0, {"op": "import-name"})


def confusable(candidate: str, index: NameIndex) -> Iterator[NameHit]:
    """Equal once look-alike letters are folded (PyPI's own folding, or multi-letter shapes)."""
    folded = fold_confusables(candidate)
    for i in index.folded.get(folded) or ():
        target = index.targets[i]
        if target.name != candidate:
            same_ultra = ultranormalize(target.name) == ultranormalize(candidate)
            rule = CONFUSABLE if same_ultra else MULTI_LETTER
            yield NameHit(target, rule, 0, {"op": "fold", "folded": folded})


def one_edit(candidate: str, index: NameIndex) -> Iterator[NameHit]:
    """One character omitted, repeated, inserted, substituted or two swapped: one probe of the
    deletion neighbourhood finds them all, and the edit names the rule."""
    keys = [candidate[:j] + candidate[j + 1 :] for j, c in enumerate(candidate) if c != "-"]
    keys.append(candidate)
    # One C-level pass: probe every key, keep the non-empty buckets, merge them.
    for i in set(chain.from_iterable(filter(None, map(index.deletions.get, keys)))):
        target = index.targets[i]
        edit = classify_edit(candidate, target.name)
        if edit is not None:
            yield NameHit(target, _OP_RULES[edit.op], 1, edit.as_evidence())
        elif target.name != candidate:
            yield NameHit(target, DISTANCE_2, 2, {"op": "two-edits"})


def python_affix(candidate: str, index: NameIndex) -> Iterator[NameHit]:
    """A popular name with `python`/`py` added or taken away."""
    for i in index.python_forms.get(candidate, ()):
        yield NameHit(index.targets[i], PYTHON_AFFIX, 0, {"op": "python-affix"})


def version_suffix(candidate: str, index: NameIndex) -> Iterator[NameHit]:
    """A popular name with a version number bolted on (`requests2`, `numpy-3`)."""
    found = _VERSION_SUFFIX.match(candidate) if candidate[-1].isdigit() else None
    if found and len(found[1]) >= 3:
        i = index.by_name.get(found[1])
        if i is not None:
            edit = {"op": "version-suffix", "suffix": found[2]}
            yield NameHit(index.targets[i], VERSION, 0, edit)


def swapped_tokens(candidate: str, index: NameIndex) -> Iterator[NameHit]:
    """The words of a popular name in another order."""
    if "-" not in candidate:
        return
    words = tokens(candidate)
    if len(words) <= 6:
        for i in index.token_sets.get("-".join(sorted(words)), ()):
            target = index.targets[i]
            if target.name != candidate:
                yield NameHit(target, TOKENS, 0, {"op": "reorder", "tokens": list(words)})


def combosquat(candidate: str, index: NameIndex) -> Iterator[NameHit]:
    """A popular name with a word people bolt on (`requests-utils`, `secure-flask`)."""
    if "-" not in candidate:
        return
    words = tokens(candidate)
    if words[-1] in COMBO_SUFFIXES:
        yield from _combo("-".join(words[:-1]), words[-1], "suffix", index)
    if words[0] in COMBO_PREFIXES:
        yield from _combo("-".join(words[1:]), words[0], "prefix", index)


def _combo(stem: str, affix: str, where: str, index: NameIndex) -> Iterator[NameHit]:
    i = index.by_name.get(stem)
    if i is not None and len(stem) >= 4 and not (where == "suffix" and stem in PLUGIN_HOSTS):
        yield NameHit(index.targets[i], COMBO, 0, {"op": "affix", where: affix})


def two_edits(candidate: str, index: NameIndex) -> Iterator[NameHit]:
    """Two edits from a long popular name (Damerau-Levenshtein, scored by rapidfuzz)."""
    if len(candidate) < DL2_MIN_LENGTH:
        return
    pool = index.long_heads.get(candidate[:3], ()) + index.long_tails.get(candidate[-3:], ())
    if not pool:
        return
    for choice, distance, _ in process.extract(
        candidate, pool, scorer=DamerauLevenshtein.distance, score_cutoff=2, limit=None
    ):
        if distance == 2:
            yield NameHit(index.targets[index.by_name[choice]], DISTANCE_2, 2, {"op": "two-edits"})


# Every rule, once, in the order their hits are weighed (the first of equal scores is kept).
RULES: tuple[Rule, ...] = (
    import_name,
    confusable,
    one_edit,
    python_affix,
    version_suffix,
    swapped_tokens,
    combosquat,
    two_edits,
)


def effective_length(typed: str, intended: str, families: Mapping[str, int]) -> int:
    """How much of `intended` a reader compares: in a family of siblings only the last word.

    mypy-boto3-sns and mypy-boto3-sqs are two of a hundred `mypy-boto3-*` projects: they differ in
    a three-letter word, not in a fourteen-letter name. Outside such families the whole name counts.
    """
    if "-" in intended and "-" in typed:
        stem, _, last = intended.rpartition("-")
        if typed.startswith(stem + "-") and families.get(stem, 0) >= FAMILY_SIZE:
            return len(last)
    return len(intended)


def _score(candidate: str, hit: NameHit, index: NameIndex) -> NameMatch | None:
    target = hit.target
    if target.project == candidate or (target.name == candidate and hit.rule != IMPORT_NAME):
        return None
    length = effective_length(candidate, target.name, index.families)
    if not _long_enough(hit, length):
        return None
    candidate_downloads = index.downloads.get(candidate)
    ratio = target.downloads / max(candidate_downloads or index.floor, 1)
    score = _strength(hit, length, target.rank, ratio)
    if candidate_downloads is not None:
        if hit.rule != IMPORT_NAME and ratio < POPULAR_CANDIDATE_RATIO:
            return None  # bs4 and sklearn are listed as import names; boto is not a boto3 typo
        score = min(score, FLAG_STRENGTH - 1)  # a popular project is not flagged by name alone
    elif ratio < MIN_POPULARITY_RATIO:
        return None
    return NameMatch(
        name=candidate,
        target=target.project,
        rule=hit.rule,
        distance=hit.distance,
        target_downloads=target.downloads,
        candidate_downloads=candidate_downloads,
        popularity_ratio=ratio,
        score=score,
        imitated=target.name,
        edit=hit.edit,
    )


def _long_enough(hit: NameHit, length: int) -> bool:
    """Short words sit one edit from dozens of others: only typing slips count there."""
    if hit.rule not in _CHARACTER_RULES:
        return True
    if hit.rule == DISTANCE_2:
        return length >= DL2_MIN_LENGTH
    return length >= 4 or (length == 3 and hit.edit.get("slip") != "other")


def _strength(hit: NameHit, length: int, rank: int, ratio: float) -> int:
    score = BASE_STRENGTH[hit.rule]
    if hit.rule in _CHARACTER_RULES:
        score += {3: -15, 4: -5}.get(length, 5 if length >= 8 else 0)
        if hit.rule == INSERTED and hit.edit.get("slip") != "other":
            score += 5  # a key next to the intended one, pressed as well
    score += 15 if rank <= 100 else 10 if rank <= 1000 else 5 if rank <= 5000 else 0
    if rank > (RISING if hit.rule in _SLIP_RULES else 5000):
        score -= 10
    if ratio < 10:
        score -= 10
    if rank > MOST_IMITATED and (hit.rule == DISTANCE_2 or hit.edit.get("slip") == "other"):
        score = min(score, FLAG_STRENGTH - 5)  # not a typing slip: worth listing, not flagging
    return max(0, min(100, score))


def _allowed(
    found: NameMatch,
    ownership: Ownership | None,
    target_ownership: Mapping[str, Ownership] | None,
) -> bool:
    """Shared owners or organization mean the same people publish both: not a squat."""
    theirs = (target_ownership or {}).get(found.target)
    if ownership is None or theirs is None:
        return True
    if ownership.organization and ownership.organization == theirs.organization:
        return False
    return not (ownership.users & theirs.users)


__all__ = ["Edit", "NameMatch", "match_name", "python_forms"]
