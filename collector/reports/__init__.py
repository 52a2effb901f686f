"""Reports to PyPI: building the report, submitting it to the observations API, recording it."""
