"""envconfig/contracts.py on its own: the image side of the contract (Dockerfile, app settings)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from envconfig import load_environments
from envconfig.contracts import check_app_contract, dockerfile_ports
from tests.conftest import ROOT


@pytest.fixture()
def fake_root(tmp_path: Path) -> Path:
    """A copy of the two files the contract reads, to be edited per test."""
    (tmp_path / "app").mkdir()
    shutil.copy(ROOT / "Dockerfile", tmp_path / "Dockerfile")
    shutil.copy(ROOT / "app" / "settings.py", tmp_path / "app" / "settings.py")
    return tmp_path


def test_shipped_configs_match_the_image() -> None:
    assert check_app_contract(load_environments(), ROOT) == []


def test_dockerfile_ports_parses_expose_forms(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM x\nEXPOSE 3000\nexpose 8080/tcp 53/udp\n")
    assert dockerfile_ports(dockerfile) == [3000, 8080]


def test_image_port_change_is_caught(fake_root: Path) -> None:
    dockerfile = fake_root / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace("EXPOSE 3000", "EXPOSE 8000"))
    problems = check_app_contract(load_environments(only=["prod"]), fake_root)
    assert any("Dockerfile EXPOSE 8000 does not include app/settings.py DEFAULT_PORT=3000" in p for p in problems)
    assert any(p.startswith("prod.container.port=3000 does not match the app image") for p in problems)


def test_missing_dockerfile_is_a_problem(fake_root: Path) -> None:
    (fake_root / "Dockerfile").unlink()
    (problem,) = check_app_contract(load_environments(only=["dev"]), fake_root)
    assert "Dockerfile is missing" in problem
