"""The I/O shell: PyPI clients, the pipeline, the Postgres store, alert senders and the CLI."""
