"""A store for audit tests: releases the monitor saw (one yanked, one removed, a pre-release),
a stored finding, and OSV records loaded by `osv sync` from a local dump."""

from __future__ import annotations

import asyncio
import json
import zipfile
from pathlib import Path

import asyncpg
import pytest

from collector.cli import main

# leftpadx as the monitor stored it: 1.0 and 1.5 served, 2.0 yanked, 3.0 removed from PyPI,
# 4.0b1 a pre-release; only 1.5's JSON page (its licence) was stored. gonex is quarantined.
RELEASES = """
INSERT INTO projects (normalized, name) VALUES ('leftpadx', 'leftpadx'), ('evilx', 'evilx');
INSERT INTO projects (normalized, name, status) VALUES ('gonex', 'gonex', 'quarantined');
INSERT INTO releases (project, version, status, first_seen_source, metadata) VALUES
    ('leftpadx', '1.0', 'active', 'changelog', NULL),
    ('leftpadx', '1.5', 'active', 'changelog', '{"metadata": {"license_expression": "MIT",
                                                "license": "", "classifiers": []}}'),
    ('leftpadx', '2.0', 'yanked', 'changelog', NULL),
    ('leftpadx', '3.0', 'removed', 'changelog', NULL),
    ('leftpadx', '4.0b1', 'active', 'changelog', NULL),
    ('gonex', '1.0', 'active', 'changelog', NULL),
    ('evilx', '0.1', 'active', 'changelog', NULL);
INSERT INTO findings (release_id, project, version, check_id, severity, score, summary)
     SELECT id, 'leftpadx', '1.5', 'metadata.url-dependency', 'medium', 40,
            'evil is installed from a URL.' FROM releases WHERE version = '1.5';
"""


def _record(record_id: str, project: str, affected: dict[str, object]) -> dict[str, object]:
    return {
        "schema_version": "1.6.0",
        "id": record_id,
        "modified": "2026-11-01T00:00:00Z",
        "published": "2026-10-01T00:00:00Z",
        "aliases": [],
        "summary": f"{project}: made up for the audit tests",
        "affected": [{"package": {"ecosystem": "PyPI", "name": project}, **affected}],
    }


VULNERABILITY = "PYSEC-2099-1"  # leftpadx: introduced 1.2, fixed 1.6 (1.5 affected, 1.0 not)
MALWARE = "MAL-2099-1"  # evilx 0.1
RECORDS = {
    f"{VULNERABILITY}.json": _record(
        VULNERABILITY,
        "leftpadx",
        {"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "1.2"}, {"fixed": "1.6"}]}]},
    ),
    f"{MALWARE}.json": _record(MALWARE, "evilx", {"versions": ["0.1"]}),
}


async def seed_store(
    tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> list[str]:
    """Fill the store; returns the --home/--database-url arguments that reach it."""
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(RELEASES)
    finally:
        await conn.close()
    dump = tmp_path / "osv.zip"
    with zipfile.ZipFile(dump, "w") as archive:
        for name, record in RECORDS.items():
            archive.writestr(name, json.dumps(record))
    home = ["--home", str(tmp_path / "home"), "--database-url", database_url]
    assert await asyncio.to_thread(main, ["osv", "sync", "--source", str(dump), *home]) == 0
    capsys.readouterr()
    return home
