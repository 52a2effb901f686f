"""One module per CLI command; each exposes `add_parser(subparsers)` and an async `run(settings, args)`."""
