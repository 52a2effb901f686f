"""The one-line progress counter: drawn on a terminal only, always cleared before the report."""

from __future__ import annotations

import io

from collector.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_line_showing_zero_done_is_still_cleared_before_the_report() -> None:
    """A run that finished before its first item was counted left "analysed 0/119" on screen
    and printed its summary after it on the same line."""
    screen = Terminal()
    progress = Progress("analysed", 119, screen)
    progress.show(0, "releases and files")
    progress.done()
    assert screen.getvalue() == "\r\x1b[Kanalysed 0/119 releases and files\r\x1b[K"


def test_nothing_drawn_nothing_cleared_and_pipes_stay_clean() -> None:
    screen, pipe = Terminal(), io.StringIO()
    Progress("scanning", 3, screen).done()
    piped = Progress("scanning", 3, pipe)
    piped.advance("a.tar.gz")
    piped.done()
    assert (screen.getvalue(), pipe.getvalue()) == ("", "")
