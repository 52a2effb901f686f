"""Collector health: per source, the last attempt, success and error, and PyPI's last serial."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from collector.store import PgConnection


async def record_success(
    conn: PgConnection,
    source: str,
    *,
    upstream_serial: int | None = None,
    detail: Mapping[str, Any] | None = None,
) -> None:
    await conn.execute(
        """
        INSERT INTO collector_health (source, last_attempt_at, last_success_at, upstream_serial, detail)
        VALUES ($1, now(), now(), $2, COALESCE($3::jsonb, '{}'::jsonb))
        ON CONFLICT (source) DO UPDATE SET
            last_attempt_at = now(), last_success_at = now(), consecutive_failures = 0,
            upstream_serial = COALESCE(EXCLUDED.upstream_serial, collector_health.upstream_serial),
            detail = (collector_health.detail - 'switched_off_at') || COALESCE($3::jsonb, '{}'::jsonb)
        """,
        source,
        upstream_serial,
        dict(detail) if detail else None,
    )


async def record_failure(conn: PgConnection, source: str, error: str) -> None:
    await conn.execute(
        """
        INSERT INTO collector_health (source, last_attempt_at, last_error_at, last_error,
                                      consecutive_failures)
        VALUES ($1, now(), now(), $2, 1)
        ON CONFLICT (source) DO UPDATE SET
            last_attempt_at = now(), last_error_at = now(), last_error = $2,
            consecutive_failures = collector_health.consecutive_failures + 1,
            detail = collector_health.detail - 'switched_off_at'
        """,
        source,
        error[:2000],
    )


async def record_switched_off(conn: PgConnection, sources: Sequence[str]) -> None:
    """Sources this run does not poll (`--xmlrpc off`): their old failures are no longer a
    problem, and the row says since when they are off."""
    await conn.execute(
        """
        UPDATE collector_health SET consecutive_failures = 0,
            detail = detail || jsonb_build_object('switched_off_at', extract(epoch FROM now()))
        WHERE source = ANY($1::text[]) AND NOT detail ? 'switched_off_at'
        """,
        list(sources),
    )


@dataclass(frozen=True, slots=True)
class SourceHealth:
    source: str
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    last_error_at: datetime | None
    last_error: str | None
    consecutive_failures: int
    upstream_serial: int | None
    detail: Mapping[str, Any]


async def fetch_upstream_serial(conn: PgConnection, source: str) -> int | None:
    """PyPI's last serial as one source last saw it."""
    value = await conn.fetchval(
        "SELECT upstream_serial FROM collector_health WHERE source = $1", source
    )
    return None if value is None else int(value)


async def fetch_source_health(conn: PgConnection) -> list[SourceHealth]:
    rows = await conn.fetch(
        """
        SELECT source, last_attempt_at, last_success_at, last_error_at, last_error,
               consecutive_failures, upstream_serial, detail
        FROM collector_health ORDER BY source
        """
    )
    return [SourceHealth(**dict(row)) for row in rows]
