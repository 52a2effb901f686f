"""`python -m standin`: reading the corpus, and a short real run on a free port."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from standin.__main__ import read_popular
from tests.servers import free_port
from tests.standin.test_replay import RECORDING


def test_read_popular_accepts_lists_and_hugovk_json(tmp_path: Path) -> None:
    plain = tmp_path / "names.txt"
    plain.write_text("# top names\nrequests\n\nnumpy\n")
    top = tmp_path / "top.json"
    top.write_text(json.dumps({"rows": [{"download_count": 9, "project": "boto3"}]}))
    csv = tmp_path / "top.csv"
    csv.write_text("download_count,project\n9,boto3\n8,urllib3\n")
    assert read_popular(plain) == ["requests", "numpy"]
    assert read_popular(top) == ["boto3"]
    assert read_popular(csv) == ["boto3", "urllib3"]
    assert read_popular(None) == []


def test_standalone_server_serves_and_publishes(tmp_path: Path) -> None:
    port = free_port()
    popular = tmp_path / "names.txt"
    popular.write_text("requests\nnumpy\n")
    command = [
        sys.executable,
        "-m",
        "standin",
        "--port",
        str(port),
        "--rate",
        "600",
        "--backfill",
        "20",
        "--duration",
        "2",
        "--popular",
        str(popular),
    ]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        index = None
        for _ in range(50):
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/simple/", timeout=1
                ) as response:
                    index = response.read().decode()
                break
            except OSError:
                time.sleep(0.05)
        assert index is not None
        assert "/simple/requests/" in index
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/top-pypi-packages.min.json"
        ) as response:
            assert json.load(response)["rows"][0]["project"] == "requests"
        _, stderr = process.communicate(timeout=10)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 0, stderr
    assert "stand-in PyPI at" in stderr


def test_standalone_server_replays_a_recording(tmp_path: Path) -> None:
    port = free_port()
    recording = tmp_path / "recording.json.gz"
    recording.write_bytes(gzip.compress(json.dumps(RECORDING).encode()))
    command = [
        sys.executable,
        "-m",
        "standin",
        "--port",
        str(port),
        "--rate",
        "0",
        "--backfill",
        "0",
        "--duration",
        "2",
        "--replay",
        str(recording),
    ]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        page = None
        for _ in range(50):
            try:
                url = f"http://127.0.0.1:{port}/pypi/odd-shapes/json"
                with urllib.request.urlopen(url, timeout=1) as response:
                    page = json.load(response)
                break
            except OSError:
                time.sleep(0.05)
        assert page is not None
        assert page["info"]["license"] == RECORDING["projects"][0]["project"]["info"]["license"]
        _, stderr = process.communicate(timeout=10)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 0, stderr
    assert "replayed 2 recorded releases" in stderr
