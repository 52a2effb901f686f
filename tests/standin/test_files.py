"""Served files are real archives whose bytes match the advertised digests; provenance."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile
import zipfile

import aiohttp
from aiohttp.test_utils import TestServer

from standin import StandInPyPI
from tests.standin.conftest import SIMPLE_JSON

GITHUB = {"kind": "GitHub", "repository": "ann/demo", "workflow": "release.yml", "environment": ""}
SUSPICIOUS = "import base64\nexec(base64.b64decode('cHJpbnQoMSk='))\n"


async def download(session: aiohttp.ClientSession, url: str) -> bytes:
    async with session.get(url) as response:
        assert response.status == 200, url
        return await response.read()


async def test_bytes_match_digests_and_are_valid_archives(
    pypi: StandInPyPI, server: TestServer, session: aiohttp.ClientSession
) -> None:
    pypi.upload("Foo_Bar", "1.0", setup_py=SUSPICIOUS, metadata={"summary": "Demo summary"})
    async with session.get(server.make_url("/pypi/foo-bar/1.0/json")) as response:
        files = (await response.json())["urls"]
    for entry in files:
        data = await download(session, entry["url"])
        assert len(data) == entry["size"]
        assert hashlib.sha256(data).hexdigest() == entry["digests"]["sha256"]
        assert hashlib.md5(data).hexdigest() == entry["digests"]["md5"]
        assert hashlib.blake2b(data, digest_size=32).hexdigest() == entry["digests"]["blake2b_256"]
        assert entry["digests"]["blake2b_256"][4:] in entry["url"]
    with tarfile.open(fileobj=io.BytesIO(await download(session, files[0]["url"]))) as sdist:
        names = set(sdist.getnames())
        pkg_info = sdist.extractfile("foo_bar-1.0/PKG-INFO").read().decode()
        setup_py = sdist.extractfile("foo_bar-1.0/setup.py").read().decode()
    expected = {"foo_bar-1.0/PKG-INFO", "foo_bar-1.0/setup.py", "foo_bar-1.0/foo_bar/__init__.py"}
    assert expected <= names
    assert "Name: Foo_Bar\nVersion: 1.0\n" in pkg_info
    assert "Summary: Demo summary" in pkg_info
    assert setup_py == SUSPICIOUS
    wheel_bytes = await download(session, files[1]["url"])
    wheel = zipfile.ZipFile(io.BytesIO(wheel_bytes))
    assert wheel.testzip() is None
    metadata = wheel.read("foo_bar-1.0.dist-info/METADATA")
    assert hashlib.sha256(metadata).hexdigest() == files[1]["core-metadata"]["sha256"]
    assert b"Tag: py3-none-any" in wheel.read("foo_bar-1.0.dist-info/WHEEL")
    for line in wheel.read("foo_bar-1.0.dist-info/RECORD").decode().splitlines()[:-1]:
        path, digest, size = line.split(",")
        data = wheel.read(path)
        expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        assert (digest, int(size)) == (f"sha256={expected}", len(data))
    assert await download(session, files[1]["url"] + ".metadata") == metadata


async def test_bytes_are_stable_and_unknown_paths_404(
    pypi: StandInPyPI, server: TestServer, session: aiohttp.ClientSession
) -> None:
    upload = pypi.upload("demo", "1.0")
    first = upload.files[0].blob.sha256
    url = pypi.file_url(upload.files[0])
    assert hashlib.sha256(await download(session, url)).hexdigest() == first
    wrong = url.replace(upload.files[0].blob.blake2b_256[4:10], "000000")
    async with session.get(wrong) as response:
        assert response.status == 404
    pypi.remove_file("demo", "1.0", "demo-1.0.tar.gz")
    async with session.get(url) as response:
        assert response.status == 404


async def test_other_file_kinds(pypi: StandInPyPI, server: TestServer) -> None:
    upload = pypi.upload(
        "demo", "1.0", files=["demo-1.0.zip", "demo-1.0-py3.12.egg", "demo-1.0.win-amd64.exe"]
    )
    zipped, egg, exe = upload.files
    assert (
        zipfile.ZipFile(io.BytesIO(zipped.blob.content))
        .read("demo-1.0/PKG-INFO")
        .startswith(b"Metadata-Version")
    )
    assert (egg.kind.packagetype, egg.kind.python_version) == ("bdist_egg", "3.12")
    assert zipfile.ZipFile(io.BytesIO(egg.blob.content)).namelist()[0] == "EGG-INFO/PKG-INFO"
    assert exe.kind.packagetype == "bdist_wininst"
    assert pypi.journal[-1].action == "add any file demo-1.0.win-amd64.exe"


async def test_provenance(
    pypi: StandInPyPI, server: TestServer, session: aiohttp.ClientSession
) -> None:
    pypi.upload("Demo", "1.0", provenance=GITHUB)
    pypi.add_file("demo", "1.0", "demo-1.0-cp313-cp313-win_amd64.whl")  # no attestation
    async with session.get(
        server.make_url("/simple/demo/"), headers={"Accept": SIMPLE_JSON}
    ) as response:
        files = {f["filename"]: f for f in (await response.json(content_type=None))["files"]}
    url = files["demo-1.0.tar.gz"]["provenance"]
    async with session.get(url) as response:
        assert response.status == 200
        provenance = await response.json()
    assert provenance["version"] == 1
    [bundle] = provenance["attestation_bundles"]
    assert bundle["publisher"] == {**GITHUB, "claims": None}
    [attestation] = bundle["attestations"]
    statement = json.loads(base64.b64decode(attestation["envelope"]["statement"]))
    assert statement["subject"] == [
        {
            "name": "demo-1.0.tar.gz",
            "digest": {"sha256": files["demo-1.0.tar.gz"]["hashes"]["sha256"]},
        }
    ]
    assert statement["predicateType"] == "https://docs.pypi.org/attestations/publish/v1"
    assert attestation["verification_material"]["transparency_entries"]
    assert files["demo-1.0-cp313-cp313-win_amd64.whl"]["provenance"] is None
    missing = server.make_url("/integrity/demo/1.0/demo-1.0-cp313-cp313-win_amd64.whl/provenance")
    async with session.get(missing) as response:
        assert response.status == 404
        assert (await response.json())["message"].startswith("No provenance available")
    mismatched = server.make_url("/integrity/other/1.0/demo-1.0.tar.gz/provenance")
    async with session.get(mismatched) as response:
        assert response.status == 404
    async with session.get(url, headers={"Accept": "text/html"}) as response:
        assert response.status == 406
