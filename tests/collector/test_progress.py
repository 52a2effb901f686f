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


def test_one_item_draws_no_counter_unless_the_caller_asks_for_one() -> None:
    """A catch-up with one release left when its first tick came drew nothing, though the files
    of that release join the total as it is read (a flaky backfill-progress test showed it)."""
    quiet, asked = Terminal(), Terminal()
    Progress("scanning", 1, quiet).advance("a.tar.gz")
    Progress("analysed", 1, asked, at_least=0).show(0, "releases and files")
    assert quiet.getvalue() == ""
    assert asked.getvalue() == "\r\x1b[Kanalysed 0/1 releases and files"
