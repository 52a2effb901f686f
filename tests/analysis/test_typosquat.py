"""Name rules, one table: what each name imitates, by which rule, and why (TypoSnyper style)."""

from __future__ import annotations

import inspect

import pytest

from analysis import NameIndex, build_index, match_name, parse_corpus
from analysis.model import Ownership
from analysis.names import typosquat
from analysis.names.typosquat import (
    COMBO,
    CONFUSABLE,
    DISTANCE_2,
    IMPORT_NAME,
    INSERTED,
    MULTI_LETTER,
    OMITTED,
    PYTHON_AFFIX,
    REPEATED,
    SUBSTITUTED,
    SWAPPED,
    TOKENS,
    VERSION,
    effective_length,
)

# (candidate, target, rule, flagged, reason)
FLAGGED = [
    ("reqests", "requests", OMITTED, True, "a letter left out of a top-100 name"),
    ("requestss", "requests", REPEATED, True, "a letter typed twice"),
    ("reqeusts", "requests", SWAPPED, True, "two neighbours swapped"),
    ("rwquests", "requests", SUBSTITUTED, True, "w is next to e on QWERTY"),
    ("requestsa", "requests", INSERTED, True, "a is next to s: a slip while typing"),
    ("colourama", "colorama", INSERTED, True, "British spelling slips in an extra letter"),
    ("pythondateutil", "python-dateutil", CONFUSABLE, True, "separator dropped"),
    ("b0to3", "boto3", CONFUSABLE, True, "zero for o: PyPI's own folding"),
    ("rnatplotlib", "matplotlib", MULTI_LETTER, True, "rn reads as m"),
    ("dateutil-python", "python-dateutil", TOKENS, True, "words reordered"),
    ("python-requests", "requests", PYTHON_AFFIX, True, "python- prefix added"),
    ("requests-py", "requests", PYTHON_AFFIX, True, "-py suffix added"),
    ("pydateutil", "python-dateutil", PYTHON_AFFIX, True, "python swapped for py"),
    ("mongo", "pymongo", PYTHON_AFFIX, True, "py prefix dropped from a five-letter stem"),
    ("requests2", "requests", VERSION, True, "version number appended"),
    ("requests-2", "requests", VERSION, True, "version number with a separator"),
    ("requests-utils", "requests", COMBO, True, "common affix on a top-100 name"),
    ("secure-requests", "requests", COMBO, True, "common prefix on a top-100 name"),
    ("cv2", "opencv-python", IMPORT_NAME, True, "people type the import name"),
    ("sklearn", "scikit-learn", IMPORT_NAME, True, "the import name, not the project"),
    ("dateutil", "python-dateutil", IMPORT_NAME, True, "import name beats the py-affix rule"),
    ("yamll", "pyyaml", REPEATED, True, "a typo of the import name yaml"),
    ("reqeustss", "requests", DISTANCE_2, True, "two edits from a top-100 name"),
    ("sixx", "six", REPEATED, True, "repeats count even on three-letter names"),
    ("isx", "six", SWAPPED, True, "swaps count even on three-letter names"),
    ("pytest-djnago", "pytest-django", SWAPPED, True, "a slip inside a plugin's own name"),
    ("mypy-boto3-sqss", "mypy-boto3-sqs", REPEATED, True, "a repeat in a family leaf"),
    ("rarepackagee", "rarepackage", REPEATED, True, "repeat against a top-5,000 name"),
    ("lowrankpkgg", "lowrankpkg", REPEATED, True, "repeats stay specific beyond the top 5,000"),
    ("lowrnkpkg", "lowrankpkg", OMITTED, True, "ranks 5,001-10,000 rise into the top 5,000"),
    ("deeprankpkgg", "deeprankpkg", REPEATED, True, "repeats stay specific beyond RISING"),
    ("grequets", "grequests", OMITTED, True, "omission against a top-1,000 name"),
    ("grequestz", "grequests", SUBSTITUTED, True, "keyboard slip on a top-1,000 name"),
    ("requezts", "requests", SUBSTITUTED, True, "z is next to s"),
]
NOT_FLAGGED = [
    ("requests", "the project itself"),
    ("Requests", "the project itself, in another case"),
    ("python_dateutil", "PEP 503 says it is the same project"),
    ("", "never the empty string"),
    ("x", "one letter is never a squat of anything"),
    ("pytest-utils", "pytest-* is a plugin ecosystem, not a squat of pytest"),
    ("django-utils", "django-* is a plugin ecosystem"),
    ("mypy-boto3-foo", "a new sibling in a big family is not a typo of another sibling"),
    ("jwt", "a popular project in its own right: listed as pyjwt's import name, not flagged"),
    ("boto", "popular itself, and boto3 is not 1,000 times bigger"),
    ("obscurelibb", "the corpus floor is not worth imitating"),
    ("mypy-boto3", "a family stem is not a typo"),
    ("totally-unrelated-name", "nothing popular nearby"),
    ("a-b-c-d-e-f-g", "too many words to permute"),
    ("siy", "y is nowhere near x: on a three-letter name only typing slips count"),
]
INFO_ONLY = [
    ("deeprnkpkg", "deeprankpkg", OMITTED, "omissions beyond RISING are listed, not flagged"),
    ("rarepackaxe", "rarepackage", SUBSTITUTED, "x for g is not a slip: listed only"),
]


@pytest.mark.parametrize(("name", "target", "rule", "flagged", "reason"), FLAGGED)
def test_flags_imitations(
    index: NameIndex, name: str, target: str, rule: str, flagged: bool, reason: str
) -> None:
    matches = match_name(name, index)
    assert matches, reason
    best = matches[0]
    assert (best.target, best.rule, best.flagged) == (target, rule, flagged), reason
    assert best.name == name.lower()
    assert best.check_id == best.rule
    assert best.target_downloads > 0
    assert best.popularity_ratio >= 2


@pytest.mark.parametrize(("name", "reason"), NOT_FLAGGED)
def test_leaves_legitimate_names_alone(index: NameIndex, name: str, reason: str) -> None:
    assert [m for m in match_name(name, index) if m.flagged] == [], reason


@pytest.mark.parametrize(("name", "target", "rule", "reason"), INFO_ONLY)
def test_lists_weak_likenesses_without_flagging(
    index: NameIndex, name: str, target: str, rule: str, reason: str
) -> None:
    found = {m.target: m for m in match_name(name, index)}
    assert found[target].rule == rule, reason
    assert not found[target].flagged, reason


def test_evidence_names_the_edit(index: NameIndex) -> None:
    match = match_name("reqeusts", index)[0]
    evidence = match.as_evidence()
    assert evidence["edit"] == {"op": "swap", "position": 3, "intended": "ue", "typed": "eu"}
    assert evidence["target"] == evidence["imitated"] == "requests"
    assert evidence["candidate_downloads"] is None


def test_import_name_evidence_names_the_alias(index: NameIndex) -> None:
    match = match_name("yamll", index)[0]
    assert (match.target, match.imitated) == ("pyyaml", "yaml")


def test_strongest_first_and_capped(index: NameIndex) -> None:
    matches = match_name("reqeusts", index)
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)
    assert len(match_name("yaml", index)) <= 5


def test_popular_candidate_against_a_much_bigger_target_is_listed_not_flagged(
    index: NameIndex,
) -> None:
    # cattrs is popular and attrs is not 1,000 times bigger: nothing. urllib2 is popular too, but
    # urllib3 is over 1,000 times bigger: listed for a person to see, never flagged by name.
    assert match_name("cattrs", index) == ()
    (match,) = match_name("urllib2", index)
    assert (match.target, match.flagged, match.candidate_downloads) == ("urllib3", False, 500_000)


def test_a_popular_import_name_is_listed_not_flagged(index: NameIndex) -> None:
    (match,) = match_name("jwt", index)
    assert (match.target, match.rule, match.flagged) == ("pyjwt", IMPORT_NAME, False)
    assert match.candidate_downloads == 2_200_000


def test_never_a_project_against_its_own_import_name() -> None:
    corpus = parse_corpus(
        {
            "rows": [
                {"project": "requests", "download_count": 10**8},
                {"project": "tiny", "download_count": 10},
            ]
        },
        aliases={"reqests": "requests"},
    )
    assert match_name("requests", build_index(corpus)) == ()


def test_shared_owner_suppresses(index: NameIndex) -> None:
    mine = Ownership(roles=(("Owner", "kreitz"),))
    theirs = {"requests": Ownership(roles=(("Owner", "kreitz"), ("Maintainer", "other")))}
    matches = match_name("reqeusts", index, ownership=mine, target_ownership=theirs)
    assert "requests" not in [m.target for m in matches]


def test_shared_organization_suppresses(index: NameIndex) -> None:
    mine = Ownership(roles=(("Owner", "alice"),), organization="psf")
    theirs = {"requests": Ownership(roles=(("Owner", "bob"),), organization="psf")}
    matches = match_name("reqeusts", index, ownership=mine, target_ownership=theirs)
    assert "requests" not in [m.target for m in matches]


def test_different_owners_do_not_suppress(index: NameIndex) -> None:
    mine = Ownership(roles=(("Owner", "mallory"),), organization="evil")
    theirs = {"requests": Ownership(roles=(("Owner", "bob"),), organization="psf")}
    assert match_name("reqeusts", index, ownership=mine, target_ownership=theirs)


def test_ownership_of_one_side_only_does_not_suppress(index: NameIndex) -> None:
    mine = Ownership(roles=(("Owner", "kreitz"),))
    assert match_name("reqeusts", index, ownership=mine, target_ownership={})
    assert match_name("reqeusts", index, target_ownership={"requests": mine})


@pytest.mark.parametrize(
    ("typed", "intended", "length", "reason"),
    [
        ("mypy-boto3-sqz", "mypy-boto3-sqs", 3, "siblings of a family compare by their last word"),
        ("reqests", "requests", 8, "single word: the whole name"),
        (
            "pytest-djnago",
            "pytest-django",
            13,
            "pytest-* has fewer than three popular members here",
        ),
        ("boto3-sqs", "mypy-boto3-sqs", 14, "outside the family: the whole name"),
    ],
)
def test_effective_length(
    index: NameIndex, typed: str, intended: str, length: int, reason: str
) -> None:
    assert effective_length(typed, intended, index.families) == length, reason


def test_every_rule_is_listed_once() -> None:
    """A rule written but not listed would never fire; one listed twice would double its hits."""
    written = {
        f
        for name, f in vars(typosquat).items()
        if inspect.isgeneratorfunction(f) and not name.startswith("_")
    }
    assert len(set(typosquat.RULES)) == len(typosquat.RULES)
    assert set(typosquat.RULES) == written
