"""A rule only a construct checks is still reported like a config problem: environment first, exit 2,
no traceback, nothing written (main.build's net under the config model)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import main
from envconfig import ConfigError


def test_a_construct_error_names_the_environment_and_writes_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import stacks

    def rejecting(*_: Any, **__: Any) -> None:
        raise ValueError("ServiceProps.health_check_retries=11; allowed: 1..10")

    monkeypatch.setattr(stacks, "ServiceStack", rejecting)
    out = tmp_path / "cdktf.out"
    with pytest.raises(ConfigError) as error:
        main.build(str(out), only=["dev"])
    assert error.value.problems == ["dev: ServiceProps.health_check_retries=11; allowed: 1..10"]
    assert error.value.__cause__ is None and error.value.__suppress_context__
    assert list(out.rglob("*.json")) == []

    assert main.main(["--out", str(out), "--env", "dev"]) == 2
    err = capsys.readouterr().err
    assert err == "error: invalid configuration:\n  - dev: ServiceProps.health_check_retries=11; allowed: 1..10\n"
    assert list(out.rglob("*.json")) == []
