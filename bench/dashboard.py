"""Dashboard speed over a large store: first render of every page, and filter changes.

    python -m bench.dashboard [--releases 5000000] [--findings 1000000] [--pgdata DIR]

Seeds a store with bench.dashboard_seed (once: with --pgdata the data dir is kept and reused on
the next run), then drives the real app (dashboard/app.py) with Streamlit's AppTest in this
process, against that Postgres. Times are server side: a whole script run, queries included.
Each page's first render is measured in a fresh session (the first session of a server pays
imports and the pool once, reported apart); every measurement is repeated `--rounds` times. The
first round runs right after Postgres starts, on a cold buffer cache ("cold"); the later rounds
are what a dashboard that stays open sees ("warm"). Goals: first render <= 2 s, a
filter change <= 500 ms (what feels immediate to someone triaging).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.mkdtemp(prefix="xdg-"))

from streamlit.testing.v1 import AppTest

from bench.common import REPO
from bench.dashboard_seed import seed_bulk
from collector.store.database import connect
from collector.store.embedded import EmbeddedPostgres
from collector.store.migrate import upgrade

APP = str(REPO / "dashboard" / "app.py")
RESULTS = REPO / "bench" / "results" / "dashboard.json"
PAGES = ["overview", "findings", "release", "campaigns", "subscriptions", "health"]
FIRST_RENDER_GOAL, FILTER_GOAL = 2.0, 0.5


async def prepare(url: str, releases: int, findings: int) -> int:
    """Seed unless the store already holds this size; return a critical release id."""
    conn = await connect(url)
    try:
        await upgrade(conn)
        have = await conn.fetchval("SELECT max(id) FROM releases")
        have_findings = await conn.fetchval("SELECT count(*) FROM findings")
        if (have or 0) != releases or have_findings != findings:
            if have:
                raise SystemExit("the store holds another size: use an empty --pgdata")
            print(f"seeding {releases:,} releases and {findings:,} findings ...")
            await seed_bulk(conn, releases=releases, findings=findings)
        release_id = await conn.fetchval(
            "SELECT release_id FROM findings WHERE check_id = 'release.assessment' "
            "AND severity = 'critical' ORDER BY first_seen_at DESC LIMIT 1"
        )
        return int(release_id)
    finally:
        await conn.close()


def timed(action: Callable[[], AppTest]) -> tuple[float, AppTest]:
    started = time.perf_counter()
    at = action()
    elapsed = time.perf_counter() - started
    if at.exception:
        raise SystemExit(f"the app raised: {[e.value for e in at.exception]}")
    if at.error:
        raise SystemExit(f"the app showed an error: {[e.value for e in at.error]}")
    return elapsed, at


def new_session() -> AppTest:
    return AppTest.from_file(APP, default_timeout=120)


def first_renders(release_id: int, rounds: int) -> dict[str, list[float]]:
    found: dict[str, list[float]] = {page: [] for page in PAGES}
    for _ in range(rounds):
        for page in PAGES:
            at = new_session()
            if page == "overview":
                seconds, _ = timed(at.run)
            else:
                at.run()
                if page == "release":
                    at.query_params["release"] = str(release_id)
                seconds, _ = timed(
                    lambda at=at, page=page: at.switch_page(f"views/{page}.py").run()
                )
            found[page].append(seconds)
    return found


FINDINGS_CHANGES: list[tuple[str, str, str, object]] = [
    ("min severity high", "selectbox", "keep_sev", "high"),
    ("search a target (requests)", "text_input", "keep_search", "requests"),
    ("search an author (campaign 12)", "text_input", "keep_search", "campaign 12"),
    ("clear the search", "text_input", "keep_search", ""),
    ("triage: new", "selectbox", "keep_triage", "new"),
    ("triage: malicious", "selectbox", "keep_triage", "malicious"),
    ("triage: any", "selectbox", "keep_triage", "any"),
    ("check: typosquat.omitted-char", "selectbox", "keep_check", "typosquat.omitted-char"),
    ("one row per check", "selectbox", "keep_view", "check"),
    ("check: any", "selectbox", "keep_check", "any"),
    ("page 5", "number_input", "keep_findings_page", 5),
    ("sort by severity", "selectbox", "keep_sort", "severity"),
    ("time range: all time", "selectbox", "keep_period", "all time"),
    ("sort by name", "selectbox", "keep_sort", "name"),
    ("one row per release", "selectbox", "keep_view", "release"),
    ("min severity low", "selectbox", "keep_sev", "low"),
    ("search 'data' (many names)", "text_input", "keep_search", "data"),
    ("search 'author' (every release: capped)", "text_input", "keep_search", "author"),
    ("clear the search again", "text_input", "keep_search", ""),
    ("time range: last 24 hours", "selectbox", "keep_period", "last 24 hours"),
    ("100 rows per page", "selectbox", "keep_page_size", 100),
]
CAMPAIGN_CHANGES: list[tuple[str, str, str, object]] = [
    ("group by e-mail domain", "selectbox", "keep_campaign_kind", "email_domain"),
    ("group by PyPI account", "selectbox", "keep_campaign_kind", "account"),
    ("group by description", "selectbox", "keep_campaign_kind", "description"),
    ("group by upload burst", "selectbox", "keep_campaign_kind", "burst"),
    ("last 90 days", "selectbox", "keep_campaign_window", "last 90 days"),
    ("group by author", "selectbox", "keep_campaign_kind", "author"),
]


def filter_changes(
    page: str, changes: list[tuple[str, str, str, object]], rounds: int
) -> dict[str, list[float]]:
    """Each change in turn, the whole sequence once per round, each round in a new session."""
    found: dict[str, list[float]] = {f"{page}: {label}": [] for label, *_ in changes}
    for _ in range(rounds):
        at = new_session()
        at.run()
        at.switch_page(f"views/{page}.py").run()
        for label, kind, key, value in changes:
            widget = getattr(at, kind)(key=key)
            seconds, at = timed(lambda widget=widget, value=value: widget.set_value(value).run())
            found[f"{page}: {label}"].append(seconds)
    return found


def _row(label: str, times: list[float], goal: float) -> str:
    warm = times[1:] or times
    flag = "" if max(warm) <= goal else "  OVER (warm)"
    return f"  {label:<50} {times[0]:8.3f} {statistics.median(warm):8.3f} {max(warm):8.3f}{flag}"


def report(
    cold: float, renders: dict[str, list[float]], changes: dict[str, list[float]]
) -> dict[str, object]:
    print(f"\nfirst session of the server process (imports, pool, migrations check): {cold:.2f} s")
    head = f"{'cold':>8} {'warm med':>8} {'warm max':>8}"
    print(f"\n{'first render in a new session':<52} {head}   goal {FIRST_RENDER_GOAL} s")
    for page, times in renders.items():
        print(_row(page, times, FIRST_RENDER_GOAL))
    print(f"\n{'filter change':<52} {head}   goal {FILTER_GOAL} s")
    for label, times in changes.items():
        print(_row(label, times, FILTER_GOAL))
    summary = {
        "worst_first_render_cold": max(t[0] for t in renders.values()),
        "worst_first_render_warm": max(max(t[1:] or t) for t in renders.values()),
        "worst_filter_change_cold": max(t[0] for t in changes.values()),
        "worst_filter_change_warm": max(max(t[1:] or t) for t in changes.values()),
        "median_filter_change_warm": statistics.median(
            x for t in changes.values() for x in t[1:] or t
        ),
    }
    print("\n" + ", ".join(f"{k.replace('_', ' ')} {v:.3f} s" for k, v in summary.items()))
    return {"cold_start": cold, "first_render": renders, "filter_change": changes, **summary}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--releases", type=int, default=5_000_000)
    parser.add_argument("--findings", type=int, default=1_000_000)
    parser.add_argument("--pgdata", type=Path, help="keep the seeded store here and reuse it")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    pgdata = args.pgdata or Path(tempfile.mkdtemp(prefix="bench-dash-")) / "pg"
    server = EmbeddedPostgres(pgdata)
    url = server.start()
    try:
        release_id = asyncio.run(prepare(url, args.releases, args.findings))
        os.environ["PYPI_SENTINEL_DATABASE_URL"] = url
        os.environ["PYPI_SENTINEL_HOME"] = str(pgdata.parent / "home")
        os.environ["PYPI_SENTINEL_DASHBOARD_PASSWORD"] = "bench"
        cold, _ = timed(lambda: new_session().run())
        renders = first_renders(release_id, args.rounds)
        changes = filter_changes("findings", FINDINGS_CHANGES, args.rounds)
        changes |= filter_changes("campaigns", CAMPAIGN_CHANGES, args.rounds)
        result = report(cold, renders, changes)
        result |= {"releases": args.releases, "findings": args.findings}
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2))
        print(f"written to {RESULTS}")
    finally:
        import streamlit as st

        st.cache_resource.clear()
        server.stop()
        if args.pgdata is None:
            shutil.rmtree(pgdata.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
