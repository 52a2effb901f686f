"""Code checks: what a distribution's files do when installed, started, imported or run."""

from analysis.code.scan import check_code

__all__ = ["check_code"]
