"""The vetted package index: PyPI's Simple API, with what failed the vetting left out."""
