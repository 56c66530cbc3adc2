"""compose.yaml: valid by the Compose Specification's schema (no Docker engine runs here,
so `docker compose config` can't), and wired as docs/scaling-out.md says."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import ROOT

COMPOSE = ROOT / "compose.yaml"


def check(path: Path) -> subprocess.CompletedProcess[str]:
    tool = Path(sys.executable).with_name("check-jsonschema")
    return subprocess.run(
        [str(tool), "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_compose_file_is_valid_and_a_broken_one_is_not(tmp_path: Path) -> None:
    result = check(COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr
    broken = tmp_path / "compose.yaml"
    shutil.copy(COMPOSE, broken)
    broken.write_text(COMPOSE.read_text().replace("    healthcheck:", "    health_check:"))
    assert check(broken).returncode != 0


def test_compose_runs_postgres_a_one_shot_ingest_and_two_slack_replicas() -> None:
    spec = yaml.safe_load(COMPOSE.read_text())
    services = spec["services"]
    assert services["db"]["image"].startswith("pgvector/pgvector:pg18")
    assert "pg_isready" in services["db"]["healthcheck"]["test"][1]
    ingest, slack = services["ingest"], services["slack"]
    assert ingest["command"][0] == "ingest" and ingest["restart"] == "no"
    assert slack["command"] == ["slack"] and slack["deploy"]["replicas"] == 2
    assert slack["depends_on"]["ingest"]["condition"] == "service_completed_successfully"
    for service in (ingest, slack):
        url = service["environment"]["NEWSBOT_DATABASE_URL"]
        assert url.startswith("postgresql://newsbot:${NEWSBOT_DB_PASSWORD:?")  # never inline
        assert service["depends_on"]["db"]["condition"] == "service_healthy"
    assert "postgres" in (ROOT / "Dockerfile").read_text().split("pip install -c")[1]
