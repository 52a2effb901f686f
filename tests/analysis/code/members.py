"""Members built in memory for the code checks' tests, and how their findings are read."""

from __future__ import annotations

from analysis.artifact import ArchiveContents, ArchiveKind, Member
from analysis.code import check_code
from analysis.model import Finding, Severity

C, H, M, L, N = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO)
SDIST = "demo-1.0.tar.gz"
WHEEL = "demo-1.0-py3-none-any.whl"
PAYLOAD = "cHJpbnQoMSkgICAgICAgICAgICAgICAgICAgICAgICAgICAgIA=="  # print(1), padded: harmless


def scan(files: dict[str, str | bytes], filename: str = SDIST) -> tuple[Finding, ...]:
    kind = ArchiveKind.SDIST if filename.endswith(".tar.gz") else ArchiveKind.WHEEL
    members = tuple(
        Member(path, len(data), data.encode() if isinstance(data, str) else data)
        for path, data in files.items()
    )
    return check_code(ArchiveContents(filename, kind, members))


def laid_out(files: dict[str, str | bytes]) -> tuple[Finding, ...]:
    """scan() as an sdist when the paths sit under demo-1.0/, as a wheel otherwise."""
    filename = SDIST if any(p.startswith("demo-1.0/") for p in files) else WHEEL
    return scan(files, filename)


def setup_py(body: str) -> dict[str, str | bytes]:
    return {"demo-1.0/setup.py": body, "demo-1.0/PKG-INFO": "Name: demo\n"}


INSTALL_HOOK = (
    "from setuptools import setup\nfrom setuptools.command.install import install\n"
    "import os, sys, subprocess, urllib.request\n"
    "class Hook(install):\n    def run(self):\n        install.run(self)\n{body}"
    "setup(name='demo', cmdclass={{'install': Hook}})\n"
)


def install_hook(*lines: str) -> dict[str, str | bytes]:
    """An sdist whose setup.py install command runs `lines`, one statement each (line 7 on)."""
    return setup_py(INSTALL_HOOK.format(body="".join(f"        {line}\n" for line in lines)))


def worst(findings: tuple[Finding, ...], check_id: str) -> Severity | None:
    levels = [f.severity for f in findings if f.check_id == check_id]
    return max(levels) if levels else None
