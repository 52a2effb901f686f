"""`python -m collector` runs the pypi-sentinel command line."""

import sys

from collector.cli import main

sys.exit(main())
