"""`scan NAME==VERSION`: every file of a release downloaded from (a stand-in) PyPI, checked
against the sha256 PyPI lists and read, as the collector reads it."""

from __future__ import annotations

import json
from pathlib import Path

from standin import Fault, StandInPyPI
from tests.collector.pipeline.conftest import cli_environment, run_cli

# Harmless: the payload decodes to print(1). It is only ever read, never run.
PAYLOAD = 'import base64\nexec(base64.b64decode("cHJpbnQoMSk="))\n'


async def test_a_release_is_downloaded_verified_and_read(
    standin: tuple[StandInPyPI, str], tmp_path: Path
) -> None:
    pypi, base = standin
    pypi.upload("tidy-helpers", "1.0", module_code=PAYLOAD)
    env = cli_environment(None, base, tmp_path)
    code, out, err = await run_cli(env, "scan", "Tidy_Helpers==1.0", "--format", "json")
    assert code == 1, err
    report = json.loads(out)
    files = {f["file"]: f for f in report["files"]}
    assert set(files) == {"tidy_helpers-1.0.tar.gz", "tidy_helpers-1.0-py3-none-any.whl"}
    for name, file in files.items():
        assert file["inspected"] is True
        assert file["target"] == "Tidy_Helpers==1.0"
        assert file["sha256"] == pypi.registry.files[name].sha256
    hit = next(f for f in report["findings"] if f["check"] == "code.decode-exec")
    assert (hit["name"], hit["version"]) == ("tidy-helpers", "1.0")


async def test_bytes_that_do_not_match_pypis_digest_are_a_finding(
    standin: tuple[StandInPyPI, str], tmp_path: Path
) -> None:
    pypi, base = standin
    pypi.upload("swapped", "1.0", files=["swapped-1.0.tar.gz"])
    pypi.faults.add("files", Fault.garbage(b"not the file you listed"), times=None)
    env = cli_environment(None, base, tmp_path)
    code, out, err = await run_cli(env, "scan", "swapped==1.0", "--format", "json")
    assert code == 1, err
    (file,) = json.loads(out)["files"]
    assert file["inspected"] is False
    assert [f["check"] for f in json.loads(out)["findings"]] == ["archive.digest-mismatch"]


async def test_a_release_pypi_does_not_have_is_a_usage_error(
    standin: tuple[StandInPyPI, str], tmp_path: Path
) -> None:
    pypi, base = standin
    pypi.upload("real-thing", "1.0")
    env = cli_environment(None, base, tmp_path)
    for target in ("real-thing==9.9", "no-such-project==1.0"):
        code, _, err = await run_cli(env, "scan", target)
        assert code == 2, target
        assert "not on PyPI" in err
        assert "Traceback" not in err
