"""The text report of bench/artifacts.py, from its JSON-shaped results."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

TARGET_PACKAGES_PER_SECOND = 200  # typical packages per second per core: a day's uploads, easily
TARGET_FP_RATE = 0.005  # benign packages flagged medium+: few enough to read every one


def render_report(result: dict[str, Any], show: int, results: Path) -> None:
    if "corpus" in result:
        render_corpus(result["corpus"])
        render_speed(result["speed"], result.get("scaling", []))
        render_memory(result["memory"])
        mode = result["corpus"].get("mode", "top")
        which = "randomly sampled" if mode == "random" else "benign"
        render_false_positives(result["false_positives"], show, results, which)
        if mode == "all" and result.get("false_positives_random"):
            render_false_positives(
                result["false_positives_random"], show, results, "randomly sampled"
            )
    render_recall(result["recall"])
    print(f"written to {results}")


def render_corpus(c: dict[str, Any]) -> None:
    print(
        f"corpus: {c['files']} files ({c['wheels']} wheels, {c['sdists']} sdists) of "
        f"{c['packages']} packages, {c['compressed_mb']:,.0f} MB; loaded in {c['load_seconds']:.0f}s"
    )
    for source, row in c["sources"].items():
        print(f"  {source:14} {row['files']:5} files {row['mb']:9,.1f} MB")
    r = c.get("random")
    if r:
        skipped = ", ".join(f"{n} {reason}" for reason, n in r["skipped"].items()) or "none"
        print(
            f"  random sample: {r['fetched']} of {r['sampled']} sampled projects fetched "
            f"(skipped: {skipped}; {r['files_over_cap']} files over the size cap left out)"
        )


def render_speed(s: dict[str, Any], scaling: list[dict[str, float]]) -> None:
    print(
        f"analysis, one process on one core: {s['files']} files in {s['seconds']:.1f}s, "
        f"{s['unpacked_mb']:,.0f} MB unpacked as read, {s['members']:,} members"
    )
    print(
        f"  {s['files_per_second']:8,.1f} files/s   {s['mb_per_second']:8,.1f} MB/s (compressed); "
        f"read_archive alone {s['reading_seconds']:.1f}s ({s['reading_seconds'] / s['seconds']:.0%}), "
        f"the checks the rest"
    )
    render_typical(s.get("random_sample"))
    t = s["typical_package"]
    label = "top projects" if t.get("sample", "top") == "top" else "random sample"
    print(
        f"  {label}, median-size band: {t['band_packages_per_second']:,.1f} packages/s per core "
        f"({t['band_packages']} packages of {t['band_kb'][0]:,.0f}-{t['band_kb'][1]:,.0f} kB, "
        f"median {t['band_median_ms']:.1f} ms)"
    )
    print(
        f"    median-size project {t['project']} ({t['files']} file(s), {t['compressed_kb']:,.0f} kB): "
        f"{t['ms']:.2f} ms; median package time {s['median_package_ms']:.2f} ms "
        f"({s['packages_per_second_median']:,.1f}/s); whole corpus "
        f"{s['packages_per_second_overall']:,.2f} packages/s"
    )
    ms = s["file_ms"]
    print(f"  ms per file: p50 {ms['p50']:.2f}  p95 {ms['p95']:,.2f}  max {ms['max']:,.0f}")
    print("  slowest files:")
    for row in s["slowest"]:
        print(
            f"    {row['ms']:9,.0f} ms {row['mb']:7.1f} MB {row['members']:6} members "
            f"{row['unpacked_mb']:6,.0f} MB unpacked{'' if row['complete'] else ' (incomplete)'}"
            f"  {row['filename']}"
        )
    if s["incomplete"]:
        print(f"  {len(s['incomplete'])} files read incompletely (a limit or a bad header):")
        reasons = Counter(row["error"][:70] for row in s["incomplete"])
        for reason, n in reasons.most_common(8):
            print(f"    {n:5}  {reason}")
    for row in s["crashed"]:
        print(f"  CRASH {row['filename']}: {row['error']}")
    for row in scaling:
        print(
            f"  {row['processes']:2.0f} processes: {row['seconds']:.1f}s wall, "
            f"{row['files_per_second']:,.1f} files/s, {row['mb_per_second']:,.1f} MB/s, "
            f"{row['speedup']:.2f}x one process"
        )


def render_typical(r: dict[str, Any] | None) -> None:
    """The goal's figure: a typical upload is a random project's release, not a top project."""
    if r is None:
        print(
            f"  typical packages/s per core (random sample of PyPI): not run; "
            f"bench.artifact_corpus --fetch-random 600, then --corpus random or all"
            f"  (goal >= {TARGET_PACKAGES_PER_SECOND})"
        )
        return
    ms, kb = r["package_ms"], r["package_kb"]
    print(
        f"  typical package (the median release of a random sample of PyPI): "
        f"{ms['median']:.1f} ms, {1e3 / ms['median']:,.0f} packages/s per core  "
        f"(goal >= {TARGET_PACKAGES_PER_SECOND})"
    )
    print(
        f"    throughput over the whole sample: {r['packages_per_second']:,.1f} packages/s "
        f"({r['packages']} releases, {r['sdists']} sdists + {r['wheels']} wheels, "
        f"{r['seconds']:.1f}s: a heavy tail of big releases)"
    )
    print(
        f"    ms per package: median {ms['median']:.1f}  p90 {ms['p90']:,.1f}  p99 {ms['p99']:,.0f}  "
        f"max {ms['max']:,.0f};  kB per package (compressed): median {kb['median']:,.0f}  "
        f"p90 {kb['p90']:,.0f}  p99 {kb['p99']:,.0f}  max {kb['max']:,.0f}"
    )
    for row in r["slowest"]:
        print(
            f"    {row['ms']:9,.0f} ms {row['kb']:9,.0f} kB  {row['project']}  "
            f"({', '.join(row['files'])})"
        )


def render_memory(mem: dict[str, Any]) -> None:
    over = mem["ru_maxrss_mb"] - mem["rss_loaded_mb"]
    print(
        f"memory: RSS {mem['rss_loaded_mb']:,.0f} MB with the corpus resident; peak (ru_maxrss) "
        f"{mem['ru_maxrss_mb']:,.0f} MB, {over:,.0f} MB over it"
    )
    for row in mem["traced"]:
        print(
            f"  {row['filename']} ({row['mb']:.0f} MB, {row['why']}): tracemalloc peak "
            f"{row['peak_mb']:.1f} MB; alone in a fresh process, peak RSS {row['rss_alone_mb']:.0f} MB "
            f"over the interpreter with the file read"
        )


def render_false_positives(fp: dict[str, Any], show: int, results: Path, which: str) -> None:
    print(
        f"false positives: {len(fp['flagged_packages'])} of {fp['packages']} {which} packages "
        f"({fp['rate']:.2%}) have a finding at medium or above  (goal <= {TARGET_FP_RATE:.1%})"
    )
    for row in fp["offenders"][:show]:
        print(
            f"  {row['project']:20} {row['check']:24} {row['severity']:7} {row['filename']}  "
            f"{row['path']}:{row['line']}  {row['snippet'][:100]!r}"
        )
    if len(fp["offenders"]) > show:
        print(f"  ... {len(fp['offenders']) - show} more in {results}")
    print(f"  findings on the {which} packages by check (all severities):")
    for row in fp["checks"]:
        print(
            f"    {row['check']:30} {row['severity']:8} {row['findings']:6} findings in "
            f"{row['packages']:4} packages"
        )


def render_recall(rc: dict[str, Any]) -> None:
    print(
        f"recall: {rc['caught']} of {rc['samples']} samples caught (an expected check at the "
        f"sample's severity); {rc['detected_any']} reach that severity by any check; controls "
        f"clean {rc['controls_clean']} of {rc['controls']}"
    )
    for row in rc["rows"]:
        if row["ok"]:
            continue
        if row["control"]:
            print(f"  FLAGGED CONTROL {row['sample']}: {', '.join(row['found'])}")
            continue
        wanted = f"{' or '.join(row['expects'])} >= {row['min_severity']}"
        print(
            f"  MISS {row['sample']:26} wanted {wanted}; got {', '.join(row['found']) or 'nothing'}"
            f"  [{row['shape']}]"
        )
