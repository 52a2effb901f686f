"""A stand-in PyPI: Warehouse's XML-RPC, RSS, JSON, Simple and integrity APIs served from memory.

Used by the collector's tests (real HTTP on a local port, scripted faults), by the benchmarks (a
synthetic PyPI day) and by `pypi-sentinel demo` (a stream of made-up uploads).
"""

from __future__ import annotations

from standin.faults import Fault, FaultError, FaultSchedule
from standin.generator import Mix, Population, UploadSimulator, populate
from standin.pypi import Observation, RecordedRequest, StandInPyPI
from standin.state import (
    JournalEntry,
    RegistryError,
    StoredFile,
    Upload,
    default_filenames,
)

__all__ = [
    "Fault",
    "FaultError",
    "FaultSchedule",
    "JournalEntry",
    "Mix",
    "Observation",
    "Population",
    "RecordedRequest",
    "RegistryError",
    "StandInPyPI",
    "StoredFile",
    "Upload",
    "UploadSimulator",
    "default_filenames",
    "populate",
]
