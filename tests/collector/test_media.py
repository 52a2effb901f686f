"""Media types and their parameters, read one way for Accept and for Content-Type."""

from __future__ import annotations

from collector.media import negotiate_media, split_media


def test_a_media_type_splits_into_its_type_and_parameters() -> None:
    assert split_media('Text/HTML; Charset="ISO-8859-1" ; level=1') == (
        "text/html",
        {"charset": "ISO-8859-1", "level": "1"},
    )
    assert split_media("application/json") == ("application/json", {})


def test_accept_weighs_by_q_and_an_unreadable_q_counts_as_zero() -> None:
    offers = ("text/html", "application/vnd.pypi.simple.v1+json")
    json_first = "text/html;q=0.5, application/vnd.pypi.simple.v1+json"
    assert negotiate_media(json_first, offers) == offers[1]
    assert (
        negotiate_media("application/vnd.pypi.simple.v1+json;q=x, */*;q=0.1", offers) == offers[0]
    )
