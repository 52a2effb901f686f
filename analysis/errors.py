"""Errors raised by the analysis core. Only bad input raises; a check that finds nothing returns nothing.

Every exception that crosses a module, where it is defined, and who catches it:

AnalysisError                 root
├── CorpusError               a popular-projects list that cannot be read (also a ValueError)
├── OsvError                  an OSV advisory record that cannot be read (also a ValueError)
├── PolicyError               a policy file with a key that is wrong (also a ValueError)
└── RequirementsError         analysis/requirements.py: a dependency file that cannot be read
    └── RequirementsLineError   (also a ValueError); the line-level one names the line. The
                                CLI and the dashboard turn both into one line (exit 2)

StopReading                   analysis/archive/state.py: a limit that ends reading a whole
                              archive (its finding already recorded); the archive reader stops
"""

from __future__ import annotations


class AnalysisError(Exception):
    """The analysis core was given something it cannot use."""


class CorpusError(AnalysisError, ValueError):
    """A popular-projects list is malformed."""


class OsvError(AnalysisError, ValueError):
    """An OSV advisory record is malformed."""


class PolicyError(AnalysisError, ValueError):
    """A policy document is malformed; the message names the key."""
