"""The functional core: pure checks over frozen dataclasses. No I/O, no clock, no environment."""

from analysis.corpus import IMPORT_ALIASES, Corpus, PopularProject, parse_corpus
from analysis.errors import AnalysisError, CorpusError
from analysis.index import NameIndex, build_index
from analysis.typosquat import NameMatch, match_name

__all__ = [
    "IMPORT_ALIASES",
    "AnalysisError",
    "Corpus",
    "CorpusError",
    "NameIndex",
    "NameMatch",
    "PopularProject",
    "build_index",
    "match_name",
    "parse_corpus",
]
