"""The popular-name corpus: most-downloaded projects (hugovk's top-pypi-packages format) and import names."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from analysis.errors import CorpusError
from analysis.names import normalize

# Import names people type instead of the project name (`pip install cv2`). Keys and values are
# PEP 503 normalized; an alias whose project is missing from a corpus is dropped by parse_corpus.
IMPORT_ALIASES: Mapping[str, str] = {
    "attr": "attrs",
    "bs4": "beautifulsoup4",
    "crypto": "pycryptodome",
    "cryptodome": "pycryptodomex",
    "cv2": "opencv-python",
    "dateutil": "python-dateutil",
    "dns": "dnspython",
    "docx": "python-docx",
    "dotenv": "python-dotenv",
    "engineio": "python-engineio",
    "faiss": "faiss-cpu",
    "fitz": "pymupdf",
    "gflags": "python-gflags",
    "gi": "pygobject",
    "git": "gitpython",
    "github": "pygithub",
    "google-protobuf": "protobuf",
    "grpc": "grpcio",
    "jenkins": "python-jenkins",
    "jose": "python-jose",
    "jwt": "pyjwt",
    "kafka": "kafka-python",
    "ldap": "python-ldap",
    "magic": "python-magic",
    "memcache": "python-memcached",
    "mpl-toolkits": "matplotlib",
    "multipart": "python-multipart",
    "mysqldb": "mysqlclient",
    "nacl": "pynacl",
    "nmap": "python-nmap",
    "opengl": "pyopengl",
    "openssl": "pyopenssl",
    "pil": "pillow",
    "pkg-resources": "setuptools",
    "pptx": "python-pptx",
    "ruamel": "ruamel-yaml",
    "serial": "pyserial",
    "skimage": "scikit-image",
    "sklearn": "scikit-learn",
    "slugify": "python-slugify",
    "snappy": "python-snappy",
    "socketio": "python-socketio",
    "socks": "pysocks",
    "speech-recognition": "speechrecognition",
    "tabula": "tabula-py",
    "telegram": "python-telegram-bot",
    "umap": "umap-learn",
    "usb": "pyusb",
    "websocket": "websocket-client",
    "whois": "python-whois",
    "win32api": "pywin32",
    "win32com": "pywin32",
    "wx": "wxpython",
    "xlib": "python-xlib",
    "yaml": "pyyaml",
    "zmq": "pyzmq",
}


@dataclass(frozen=True, slots=True)
class PopularProject:
    """One row of the corpus."""

    name: str  # normalized
    downloads: int


@dataclass(frozen=True, slots=True)
class Corpus:
    """Popular projects, most downloaded first, and the import names that stand for them."""

    projects: tuple[PopularProject, ...]
    aliases: Mapping[str, str] = field(default_factory=dict)  # import name -> project
    last_update: str | None = None
    source: str = ""


def parse_corpus(
    payload: bytes | str | Mapping[str, Any], *, aliases: Mapping[str, str] = IMPORT_ALIASES
) -> Corpus:
    """Decode hugovk's top-pypi-packages JSON (`{"rows": [{"download_count", "project"}]}`)."""
    document = _decode(payload)
    rows = document.get("rows")
    if not isinstance(rows, list) or not rows:
        raise CorpusError("corpus has no 'rows' list")
    downloads: dict[str, int] = {}
    for number, row in enumerate(rows):
        name, count = _parse_row(number, row)
        downloads[name] = max(count, downloads.get(name, 0))
    projects = tuple(
        PopularProject(name, count)
        for name, count in sorted(downloads.items(), key=lambda item: (-item[1], item[0]))
    )
    kept = {alias: project for alias, project in aliases.items() if project in downloads}
    last_update = document.get("last_update")
    return Corpus(
        projects=projects,
        aliases={alias: project for alias, project in kept.items() if alias != project},
        last_update=last_update if isinstance(last_update, str) else None,
        source=str(document.get("source") or ""),
    )


def _decode(payload: bytes | str | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(payload, Mapping):
        return payload
    try:
        document = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CorpusError(f"corpus is not JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise CorpusError("corpus is not a JSON object")
    return document


def _parse_row(number: int, row: object) -> tuple[str, int]:
    if not isinstance(row, dict):
        raise CorpusError(f"corpus row {number} is not an object")
    name, count = row.get("project"), row.get("download_count")
    if not isinstance(name, str) or not name.strip():
        raise CorpusError(f"corpus row {number} has no project name")
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise CorpusError(f"corpus row {number} ({name}) has no download count")
    return normalize(name), count
