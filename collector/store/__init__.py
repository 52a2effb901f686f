"""The Postgres store: embedded server, migrations, and the queries of each concern."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

# A connection of our own or one borrowed from a pool: every query function takes either.
if TYPE_CHECKING:
    PgConnection: TypeAlias = (
        asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]
    )
else:
    PgConnection = asyncpg.Connection | PoolConnectionProxy

__all__ = ["PgConnection"]
