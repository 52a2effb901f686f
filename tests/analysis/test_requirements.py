"""Dependency names from requirements.txt, pyproject.toml and pylock.toml."""

from __future__ import annotations

import pytest

from analysis.requirements import Dependency, RequirementsError, parse_dependency_file

REQUIREMENTS = """\
# a comment
requests>=2.31  # trailing comment
-r other.txt
--index-url https://pypi.example/simple
-e git+https://github.com/a/b.git#egg=Foo_Bar
-e ./local-checkout
Django \\
  >=4.2
numpy ; python_version > "3.10"
helper @ https://files.example/helper-1.0.zip
https://files.example/thing.zip#egg=Thing
./local/path
continued \\
"""


def test_requirements_txt() -> None:
    found = parse_dependency_file("requirements/dev.txt", REQUIREMENTS)
    assert [d.name for d in found] == [
        "requests", "foo-bar", "django", "numpy", "helper", "thing", "continued",
    ]  # fmt: skip
    assert found[0] == Dependency("requests", "requests>=2.31", "line 2")
    assert found[1].url == "git+https://github.com/a/b.git#egg=Foo_Bar"
    assert found[2].where == "line 7"
    assert found[4].url == "https://files.example/helper-1.0.zip"


PYPROJECT = """\
[project]
dependencies = ["requests>=2", "reqeusts", "./local/path"]
[project.optional-dependencies]
test = ["pytest"]
[dependency-groups]
dev = ["ruff", {include-group = "test"}]
[build-system]
requires = ["hatchling"]
[tool.poetry.dependencies]
python = "^3.11"
Flask = "*"
[tool.poetry.group.docs.dependencies]
mkdocs = "^1"
"""


def test_requirements_txt_without_trailing_continuation() -> None:
    assert [d.name for d in parse_dependency_file("r.txt", "six\n\nattrs\n")] == ["six", "attrs"]


def test_pyproject() -> None:
    found = parse_dependency_file("pyproject.toml", PYPROJECT)
    assert [(d.name, d.where) for d in found] == [
        ("requests", "project.dependencies[0]"),
        ("reqeusts", "project.dependencies[1]"),
        ("pytest", "project.optional-dependencies.test[0]"),
        ("ruff", "dependency-groups.dev[0]"),
        ("hatchling", "build-system.requires[0]"),
        ("flask", "tool.poetry.dependencies.Flask"),
        ("mkdocs", "tool.poetry.group.docs.mkdocs"),
    ]


def test_pyproject_without_dependencies() -> None:
    assert parse_dependency_file("pyproject.toml", '[project]\nname = "x"\n') == ()
    assert parse_dependency_file("pyproject.toml", "[tool.poetry]\ndependencies = 3\n") == ()
    assert parse_dependency_file("pyproject.toml", '[project]\ndependencies = "x"\n') == ()


def test_pylock() -> None:
    text = 'lock-version = "1.0"\n[[packages]]\nname = "urllib3"\nversion = "2.2.1"\n'
    text += '[[packages]]\nname = "Local_Pkg"\n[[packages]]\nversion = "1"\n'
    found = parse_dependency_file("pylock.dev.toml", text)
    assert [(d.name, d.spec) for d in found] == [
        ("urllib3", "urllib3==2.2.1"),
        ("local-pkg", "Local_Pkg"),
    ]


def test_lock_file_recognised_by_content() -> None:
    text = 'lock-version = "1.0"\n[[packages]]\nname = "six"\n'
    assert [d.name for d in parse_dependency_file("deps.toml", text)] == ["six"]


def test_bad_toml_is_an_error() -> None:
    with pytest.raises(RequirementsError, match="not valid TOML"):
        parse_dependency_file("pyproject.toml", "[project\n")
