"""The one boundary where HTTP trouble becomes an UpstreamError: transport, status, garbage."""

from __future__ import annotations

import json

import aiohttp
import pytest
from multidict import CIMultiDict

from collector.errors import UpstreamError
from collector.pypi.http import Response, answer, status_error, transport_errors


@pytest.mark.parametrize(
    ("status", "kind"),
    [(429, "rate_limited"), (500, "http"), (503, "http"), (403, "rejected"), (404, "rejected")],
)
def test_each_unwanted_status_has_one_kind(status: int, kind: str) -> None:
    error = status_error("GET https://pypi.test/x", status)
    assert (error.kind, str(error)) == (kind, f"GET https://pypi.test/x: HTTP {status}")


def test_a_rate_limit_carries_its_retry_after_whatever_the_header_case() -> None:
    lower = status_error("changelog_last_serial", 429, {"retry-after": "7"})
    multi = status_error("GET u", 429, CIMultiDict({"Retry-After": "3"}))
    assert (lower.retry_after, multi.retry_after) == (7.0, 3.0)


def test_an_answer_is_parsed_or_named_garbage() -> None:
    def parse(body: bytes) -> dict[str, object]:
        return dict(json.loads(body))

    good = Response(200, {}, b'{"a": 1}')
    bad = Response(200, {"content-type": "application/json"}, b"<html>")
    refused = Response(410, {}, b'{"a": 1}')
    assert answer("GET u", good, parse) == {"a": 1}
    with pytest.raises(UpstreamError) as garbage:
        answer("GET u", bad, parse)
    assert garbage.value.kind == "garbage"
    assert str(garbage.value).startswith("GET u: ")
    with pytest.raises(UpstreamError) as gone:
        answer("GET u", refused, parse)
    assert (gone.value.kind, str(gone.value)) == ("rejected", "GET u: HTTP 410")


@pytest.mark.parametrize(
    ("raised", "kind", "text"),
    [
        (TimeoutError(), "timeout", "GET u: timed out"),
        (aiohttp.ServerDisconnectedError(), "connection", "GET u: Server disconnected"),
        (aiohttp.ClientPayloadError(), "connection", "GET u: ClientPayloadError"),
    ],
)
def test_transport_trouble_becomes_an_upstream_error(
    raised: Exception, kind: str, text: str
) -> None:
    with pytest.raises(UpstreamError) as caught, transport_errors("GET u"):
        raise raised
    assert (caught.value.kind, str(caught.value)) == (kind, text)
    assert caught.value.__cause__ is raised


def test_other_errors_pass_through_the_boundary() -> None:
    with pytest.raises(KeyError), transport_errors("GET u"):
        raise KeyError("ours, not the network's")
