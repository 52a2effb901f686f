"""Reading distribution files safely in memory, and the checks over what they contain."""

from analysis.archive.binaries import check_bundled_binaries
from analysis.archive.metadata import check_archive_metadata
from analysis.archive.reader import is_distribution_name, is_text_path, read_archive

__all__ = [
    "check_archive_metadata",
    "check_bundled_binaries",
    "is_distribution_name",
    "is_text_path",
    "read_archive",
]
