"""A cached popular-projects list of a chosen date, as the daily refresh leaves it in HOME/cache."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from collector.corpus import CACHE_FILE, META_FILE


def days_ago(days: int) -> date:
    return datetime.now(UTC).date() - timedelta(days=days)


def write_cached_list(home: Path, dated: date) -> None:
    """A two-project list whose `last_update` is `dated`, fetched the same day."""
    cache = home / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    rows = [
        {"download_count": 100, "project": "requests"},
        {"download_count": 50, "project": "numpy"},
    ]
    payload = {"last_update": f"{dated} 06:00:00", "source": "test", "rows": rows}
    (cache / CACHE_FILE).write_text(json.dumps(payload))
    meta = {"fetched_at": f"{dated}T07:00:00+00:00", "url": "http://127.0.0.1:9/top.json"}
    (cache / META_FILE).write_text(json.dumps(meta))
