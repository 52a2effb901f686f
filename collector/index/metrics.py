"""The index's counters, served on its /metrics in Prometheus' text format."""

from __future__ import annotations

from collections import Counter

HELP = {
    "index_pages_total": "project pages served",
    "index_blocked_total": "releases and files kept out, by the rule that decided",
    "index_files_total": "files served, from the cache or upstream",
    "index_hash_mismatch_total": "downloads cut because the sha256 did not match upstream's",
}


class Counters:
    def __init__(self) -> None:
        self.values: Counter[tuple[str, tuple[tuple[str, str], ...]]] = Counter()

    def add(self, name: str, **labels: str) -> None:
        self.values[(name, tuple(sorted(labels.items())))] += 1

    def get(self, name: str, **labels: str) -> int:
        return self.values[(name, tuple(sorted(labels.items())))]

    def render(self) -> str:
        lines = []
        for name, text in HELP.items():
            lines += [f"# HELP {name} {text}", f"# TYPE {name} counter"]
            series = sorted((labels, n) for (key, labels), n in self.values.items() if key == name)
            if not series:
                lines.append(f"{name} 0")
            for labels, n in series:
                shown = ",".join(f'{k}="{v}"' for k, v in labels)
                lines.append(f"{name}{{{shown}}} {n}" if shown else f"{name} {n}")
        return "\n".join(lines) + "\n"
