"""Vetted pages are served again as built for a few seconds, then built afresh; files never wait."""

from __future__ import annotations

import aiohttp

from collector.index.app import KEPT, VETTED_TTL, _keep
from tests.collector.index.conftest import Index, approve


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def page(session: aiohttp.ClientSession, index: Index, name: str) -> str:
    async with session.get(f"{index.simple}{name}/") as response:
        assert response.status == 200
        return await response.text()


async def test_an_approval_shows_on_the_page_once_the_built_page_expires(index: Index) -> None:
    clock = Clock()
    index.state.clock = clock
    async with aiohttp.ClientSession() as session:
        assert "fresh-2.0" not in await page(session, index, "fresh")  # too young
        await approve(index.pool, "fresh", "2.0", "approved")
        clock.now += VETTED_TTL - 0.1
        assert "fresh-2.0" not in await page(session, index, "fresh")  # the page as built
        url = f"{index.base}/files/fresh/fresh-2.0-py3-none-any.whl"
        async with session.get(url) as response:
            assert response.status == 200  # the file is vetted afresh: approved now
        clock.now += 0.1
        assert "fresh-2.0-py3-none-any.whl" in await page(session, index, "fresh")
    assert index.state.counters.get("index_pages_total") == 3


async def test_a_denial_blocks_the_file_at_once_even_while_the_page_lists_it(
    index: Index,
) -> None:
    index.state.clock = Clock()
    async with aiohttp.ClientSession() as session:
        assert "tidy-1.0" in await page(session, index, "tidy")
        await approve(index.pool, "tidy", None, "denied")
        assert "tidy-1.0" in await page(session, index, "tidy")
        async with session.get(f"{index.base}/files/tidy/tidy-1.0-py3-none-any.whl") as response:
            assert response.status == 403
            assert "was denied by alice" in await response.text()


def test_the_page_caches_stay_bounded() -> None:
    cache: dict[object, tuple[float, object]] = {}
    for i in range(KEPT):
        _keep(cache, i, b"page", now=0.0, ttl=5.0)
    _keep(cache, "late", b"page", now=4.0, ttl=5.0)  # nothing has expired yet: kept all
    assert len(cache) == KEPT + 1
    _keep(cache, "later", b"page", now=5.0, ttl=5.0)  # the first KEPT have expired
    assert set(cache) == {"late", "later"}
