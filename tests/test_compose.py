"""docker-compose.yml: valid against the Compose spec (offline) and wired the way production needs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parents[1]
COMPOSE = REPO / "docker-compose.yml"
CHECKER = str(Path(sys.executable).parent / "check-jsonschema")


def _validate(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CHECKER, "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = YAML(typ="safe").load(COMPOSE.read_text())
    return loaded


def test_compose_file_matches_the_compose_spec() -> None:
    result = _validate(COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_validator_rejects_an_invalid_file(tmp_path: Path) -> None:
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(
        COMPOSE.read_text().replace(
            "    image: postgres:16", "    image: postgres:16\n    bogus_key: 1"
        )
    )
    assert _validate(broken).returncode != 0


def test_postgres_16_with_healthcheck_and_named_volume(compose: dict[str, Any]) -> None:
    db = compose["services"]["db"]
    assert db["image"] == "postgres:16"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    volume = db["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]


@pytest.mark.parametrize("service", ["collector", "dashboard"])
def test_app_services_build_here_and_wait_for_a_healthy_db(
    compose: dict[str, Any], service: str
) -> None:
    spec = compose["services"][service]
    assert (REPO / spec["build"]["context"] / spec["build"]["dockerfile"]).is_file()
    assert spec["depends_on"]["db"]["condition"] == "service_healthy"
    assert spec["environment"]["PYPI_SENTINEL_DATABASE_URL"].startswith("postgresql://")
    for mapping in spec.get("ports", []):
        assert mapping.startswith("127.0.0.1:")  # nothing published beyond the host's loopback
    assert spec["command"][0] in {"run", "dashboard"}


def test_every_dependency_is_a_defined_service(compose: dict[str, Any]) -> None:
    # The JSON schema cannot see this; compose would refuse an unknown service at `up`.
    services = set(compose["services"])
    for spec in compose["services"].values():
        assert set(spec.get("depends_on", {})) <= services


def test_dockerfile_installs_the_package_and_drops_root() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "pip install ." in dockerfile
    assert "\nUSER sentinel" in dockerfile
    assert 'ENTRYPOINT ["pypi-sentinel"]' in dockerfile
