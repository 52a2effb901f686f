"""Made-up but realistic release content: people, summaries, READMEs, versions, filenames.

Everything suspicious here is harmless: the install-time code only ever decodes to `print(1)`.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from packaging.version import InvalidVersion, Version

from analysis.names import normalize
from standin.archives import module_name

_FIRST = (
    "ana",
    "ben",
    "chen",
    "dara",
    "eli",
    "fatima",
    "gus",
    "hana",
    "ivan",
    "jo",
    "kai",
    "lena",
    "mo",
    "nia",
    "omar",
    "priya",
    "quinn",
    "rosa",
    "sam",
    "tomas",
    "uma",
    "vik",
    "wen",
    "yusuf",
    "zoe",
    "ines",
    "lars",
    "mei",
    "raj",
    "sofia",
)
_LAST = (
    "okafor",
    "lindqvist",
    "tanaka",
    "moreau",
    "novak",
    "haddad",
    "silva",
    "kowalski",
    "nguyen",
    "fischer",
    "osei",
    "petrov",
    "romero",
    "sato",
    "walsh",
    "yilmaz",
)
_ORGS = ("larchworks", "tidepool", "northkiln", "quietfox", "bluefern", "ironleaf", "saltmarsh")
_ADJECTIVES = ("lightweight", "fast", "typed", "minimal", "async", "pluggable", "tiny", "robust")
_THINGS = ("toolkit", "library", "client", "helpers", "framework", "utilities", "bindings")
_AUDIENCES = ("data teams", "web apps", "CLI tools", "notebooks", "microservices", "scientists")
_TOPICS = (
    "caching",
    "configuration",
    "queues",
    "graphs",
    "schemas",
    "metrics",
    "auth",
    "rendering",
    "sync",
    "streams",
    "parsing",
    "routing",
    "secrets",
    "geodata",
    "audio",
    "images",
    "text",
    "crawling",
    "batch jobs",
    "events",
    "reports",
    "deployments",
)
DISPOSABLE_DOMAINS = (
    "mailinator.com",
    "guerrillamail.com",
    "yopmail.com",
    "10minutemail.com",
    "sharklasers.com",
    "trashmail.com",
)
FREE_DOMAINS = ("gmail.com", "protonmail.com", "outlook.com", "yahoo.com")
SUSPICIOUS_SETUP = (
    "import base64\nfrom setuptools import setup\n\nexec(base64.b64decode('cHJpbnQoMSk='))\n\n"
    "setup(name={name!r}, version={version!r}, packages=[{module!r}])\n",
    "from setuptools import setup\nfrom setuptools.command.install import install\n\n\n"
    "class PostInstall(install):\n    def run(self):\n"
    "        exec(compile(bytes.fromhex('7072696e74283129').decode(), '<x>', 'exec'))\n"
    "        install.run(self)\n\n\n"
    "setup(name={name!r}, version={version!r}, packages=[{module!r}], "
    "cmdclass={{'install': PostInstall}})\n",
)


def person(rng: random.Random) -> tuple[str, str, str]:
    """(username, full name, email) of an ordinary maintainer."""
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    username = f"{first}{last[:1]}{rng.randint(1, 99)}" if rng.random() < 0.5 else f"{first}-{last}"
    domain = rng.choice(FREE_DOMAINS) if rng.random() < 0.15 else f"{rng.choice(_ORGS)}.io"
    return username, f"{first.capitalize()} {last.capitalize()}", f"{first}.{last}@{domain}"


def throwaway(rng: random.Random) -> str:
    letters = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(5, 8)))
    return f"{letters}{rng.randint(10, 99)}"


def summary(rng: random.Random) -> str:
    topic = rng.choice(_TOPICS)
    templates = (
        f"A {rng.choice(_ADJECTIVES)} {topic} {rng.choice(_THINGS)} for Python",
        f"{topic.capitalize()} {rng.choice(_THINGS)} for {rng.choice(_AUDIENCES)}",
        f"{rng.choice(_ADJECTIVES).capitalize()}, well-tested {topic} {rng.choice(_THINGS)}",
        f"Utilities for {topic} in {rng.choice(_AUDIENCES)}",
    )
    return rng.choice(templates)


def readme(name: str, text: str) -> str:
    slug, module = normalize(name), module_name(name)
    return (
        f"# {name}\n\n{text}.\n\n## Installation\n\n```\npip install {slug}\n```\n\n"
        f"## Usage\n\n```python\nimport {module}\n\nprint({module}.__version__)\n```\n\n"
        "## License\n\nSee LICENSE.\n"
    )


def ordinary_metadata(
    rng: random.Random, name: str, owner: tuple[str, str, str], popular: Sequence[str]
) -> dict[str, Any]:
    username, full_name, email = owner
    slug, text = normalize(name), summary(rng)
    license_id = rng.choice(("MIT", "Apache-2.0", "BSD-3-Clause"))
    modern = rng.random() < 0.5
    head = popular[:500]  # ordinary projects depend on well-known ones
    picked = rng.sample(head, k=min(len(head), rng.randint(0, 3)))
    deps = [f"{normalize(d)}>={rng.randint(1, 3)}.0" for d in picked]
    return {
        "summary": text,
        "description": readme(name, text),
        "description_content_type": "text/markdown",
        "author": full_name,
        "author_email": email,
        "license": None if modern else license_id,
        "license_expression": license_id if modern else None,
        "keywords": ", ".join(rng.sample(_TOPICS, k=2)),
        "classifiers": [
            f"Development Status :: {rng.choice(('3 - Alpha', '4 - Beta', '5 - Production/Stable'))}",
            "Intended Audience :: Developers",
            "Programming Language :: Python :: 3",
            "Programming Language :: Python :: 3.12",
        ],
        "project_urls": {
            "Homepage": f"https://github.com/{username}/{slug}",
            "Source": f"https://github.com/{username}/{slug}",
            "Documentation": f"https://{slug}.readthedocs.io/",
        },
        "requires_dist": deps or None,
        "requires_python": rng.choice((">=3.9", ">=3.10", ">=3.8")),
    }


def first_version(rng: random.Random) -> str:
    return rng.choices(
        ("0.1.0", "1.0.0", "0.2.0", "0.0.1", "2025.1.0", "1.0"), (40, 25, 15, 5, 10, 5)
    )[0]


def next_version(rng: random.Random, version: str) -> str:
    """A later version: mostly a patch bump, sometimes minor or major, now and then a pre-release."""
    try:
        parsed = Version(version)
    except InvalidVersion:
        return f"{version}.1"
    if parsed.is_prerelease:
        return parsed.base_version
    major, minor, micro = [*parsed.release, 0, 0][:3]
    roll = rng.random()
    if roll < 0.7:
        bumped = f"{major}.{minor}.{micro + 1}"
    elif roll < 0.95:
        bumped = f"{major}.{minor + 1}.0"
    else:
        bumped = f"{major + 1}.0.0"
    if rng.random() < 0.08:
        return bumped + rng.choice(("rc1", "b1", "a1", ".dev0"))
    return bumped


def filenames(rng: random.Random, name: str, version: str) -> tuple[str, ...]:
    """One to three files; about 1.3 on average, as on PyPI."""
    dist = normalize(name).replace("-", "_")
    sdist, wheel = f"{dist}-{version}.tar.gz", f"{dist}-{version}-py3-none-any.whl"
    roll = rng.random()
    if roll < 0.42:
        return (wheel,)
    if roll < 0.72:
        return (sdist,)
    if roll < 0.98:
        return (sdist, wheel)
    return (
        sdist,
        f"{dist}-{version}-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        f"{dist}-{version}-cp312-cp312-win_amd64.whl",
    )


def late_filename(name: str, version: str) -> str:
    dist = normalize(name).replace("-", "_")
    return f"{dist}-{version}-cp313-cp313-macosx_11_0_arm64.whl"


def suspicious_setup(rng: random.Random, name: str, version: str) -> str:
    return rng.choice(SUSPICIOUS_SETUP).format(name=name, version=version, module=module_name(name))


def url_dependency(rng: random.Random) -> str:
    word = rng.choice(("helper", "loader", "runtime", "patch"))
    return f"{word} @ https://files.{rng.choice(_ORGS)}-cdn.example/{word}-0.1.tar.gz"
