"""Shared fixtures: one real Postgres per test run, a fresh database per test from a migrated template.

The server is the embedded one (pgserver) unless PYPI_SENTINEL_TEST_DATABASE_URL names another;
that URL must allow CREATE DATABASE. No test uses a mocked database.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

# pgserver's import warns when XDG_RUNTIME_DIR is unset; give the run its own.
os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.mkdtemp(prefix="xdg-"))
_EXTERNAL_URL = os.environ.pop("PYPI_SENTINEL_TEST_DATABASE_URL", None)
# The developer's own settings must not leak into tests.
for _key in [k for k in os.environ if k.startswith("PYPI_SENTINEL_")]:
    del os.environ[_key]

from collector.config import Settings  # noqa: E402 - after the environment is cleaned
from collector.store.embedded import EmbeddedPostgres  # noqa: E402
from collector.store.migrate import upgrade  # noqa: E402

CLI = str(Path(sys.executable).parent / "pypi-sentinel")
pytest_plugins = ["tests.servers"]  # the Slack/webhook sink and the SMTP server fixtures


def with_database(url: str, name: str) -> str:
    """The same server URL pointing at another database."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


async def _admin(url: str, *statements: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def _migrate(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await upgrade(conn)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """The admin URL of the run's one Postgres server."""
    if _EXTERNAL_URL:
        yield _EXTERNAL_URL
        return
    root = Path(tempfile.mkdtemp(prefix="pgt-"))  # short: unix socket paths are limited
    server = EmbeddedPostgres(root / "pg")
    try:
        yield server.start()
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def template_database(pg_server_url: str) -> Iterator[str]:
    """A migrated database that every test database is cloned from."""
    name = f"sentinel_template_{os.getpid()}"
    asyncio.run(
        _admin(pg_server_url, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
    )
    asyncio.run(_migrate(with_database(pg_server_url, name)))
    yield name
    asyncio.run(_admin(pg_server_url, f'DROP DATABASE IF EXISTS "{name}"'))


def _fresh_database(pg_server_url: str, template: str | None) -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:16]}"
    clause = f' TEMPLATE "{template}"' if template else ""
    asyncio.run(_admin(pg_server_url, f'CREATE DATABASE "{name}"{clause}'))
    yield with_database(pg_server_url, name)
    asyncio.run(_admin(pg_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def database_url(pg_server_url: str, template_database: str) -> Iterator[str]:
    """A fresh, migrated database for this test alone."""
    yield from _fresh_database(pg_server_url, template_database)


@pytest.fixture
def empty_database_url(pg_server_url: str) -> Iterator[str]:
    """A fresh database with no schema at all."""
    yield from _fresh_database(pg_server_url, None)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(home=tmp_path / "home", database_url=database_url)


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """An environment for running the installed command in a subprocess."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYPI_SENTINEL_")}
    env["PYPI_SENTINEL_HOME"] = str(tmp_path / "home")
    return env
