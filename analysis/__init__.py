"""The functional core: pure checks over frozen dataclasses. No I/O, no clock, no environment."""

from analysis.assess import assess_name, assess_release
from analysis.checks import CHECKS, CHECKS_BY_ID, Check
from analysis.context import AnalysisContext
from analysis.corpus import IMPORT_ALIASES, Corpus, PopularProject, parse_corpus
from analysis.errors import AnalysisError, CorpusError
from analysis.names.index import NameIndex, build_index
from analysis.names.typosquat import NameMatch, match_name

__all__ = [
    "CHECKS",
    "CHECKS_BY_ID",
    "IMPORT_ALIASES",
    "AnalysisContext",
    "AnalysisError",
    "Check",
    "Corpus",
    "CorpusError",
    "NameIndex",
    "NameMatch",
    "PopularProject",
    "assess_name",
    "assess_release",
    "build_index",
    "match_name",
    "parse_corpus",
]
