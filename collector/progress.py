"""Progress of long work on stderr, only when a person watches it (stderr is a terminal)."""

from __future__ import annotations

import sys
from typing import TextIO


class Progress:
    """A one-line counter redrawn in place: `scanning 3/12 pkg-1.0.tar.gz`; silent when stderr is
    a pipe or a file, so logs and CI output stay clean, and for fewer than `at_least` items (a
    single file scanned needs no counter; a catch-up whose total grows as it goes does)."""

    def __init__(
        self, what: str, total: int, stream: TextIO | None = None, *, at_least: int = 2
    ) -> None:
        self.what = what
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.count = 0
        self.shown = total >= at_least and self.stream.isatty()
        self.drawn = False  # a line is on the terminal, to clear before the report

    def advance(self, item: str) -> None:
        self.show(self.count + 1, item)

    def show(self, count: int, item: str) -> None:
        """Redraw at `count` of the total: for work whose count is read, not counted here."""
        self.count = count
        if self.shown:
            line = f"{self.what} {self.count}/{self.total} {item}"[:78]
            self.stream.write(f"\r\x1b[K{line}")
            self.stream.flush()
            self.drawn = True

    def done(self) -> None:
        """Clear the line, so the report starts at column 0."""
        if self.drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.drawn = False
