"""A connection to the test database, with the store's JSON codecs, for the store's own tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from collector.store.database import connect


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await connect(database_url)
    try:
        yield connection
    finally:
        await connection.close()
