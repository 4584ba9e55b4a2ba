"""The rolling-deploy critical-path model behind `make deploy-timing` (ops/deploy_timing.py)."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ops.deploy_timing import (
    AWS_DEFAULTS,
    TARGET_SECONDS,
    estimate,
    load_stacks,
    main,
    report,
    settings_from_stack,
    waves,
)

ENVS = ["local", "dev", "staging", "prod"]


@pytest.mark.parametrize(
    ("tasks", "minimum", "maximum", "expected"),
    [
        (3, 100, 200, 1),  # all new tasks start at once
        (1, 100, 200, 1),
        (4, 50, 100, 2),  # stop half, start half, twice
        (4, 75, 100, 4),  # one at a time
        (10, 100, 150, 2),  # five extra at a time
        (3, 100, 100, None),  # no headroom and no task may stop: stuck
        (0, 100, 200, 0),
    ],
)
def test_waves(tasks: int, minimum: int, maximum: int, expected: int | None) -> None:
    assert waves(tasks, minimum, maximum) == expected


def test_aws_defaults_take_eight_minutes() -> None:
    e = estimate(AWS_DEFAULTS)
    assert (e.waves, e.healthy_seconds, e.drain_seconds, e.stop_seconds) == (1, 150, 300, 30)
    assert e.total_seconds == 480


def test_grace_period_bounds_the_healthy_phase_when_longer() -> None:
    e = estimate(replace(AWS_DEFAULTS, grace_period_seconds=200))
    assert e.healthy_seconds == 200 and e.total_seconds == 530


def test_a_stuck_deployment_is_infinite() -> None:
    assert math.isinf(estimate(replace(AWS_DEFAULTS, maximum_percent=100)).total_seconds)


def test_settings_are_read_from_the_synthesized_stack(synth_all: dict[str, dict[str, Any]]) -> None:
    s = settings_from_stack(synth_all["prod"])
    assert (s.interval_seconds, s.healthy_threshold, s.grace_period_seconds) == (10, 2, 30)
    assert (s.deregistration_delay_seconds, s.stop_timeout_seconds) == (30, 30)
    assert (s.minimum_healthy_percent, s.maximum_percent, s.task_counts) == (100, 200, (3, 12))


@pytest.mark.parametrize("env", ENVS)
def test_every_environment_meets_the_target(env: str, synth_all: dict[str, dict[str, Any]]) -> None:
    total = estimate(settings_from_stack(synth_all[env])).total_seconds
    assert total <= TARGET_SECONDS, "%s: worst-case rolling deploy %s s > %d s" % (env, total, TARGET_SECONDS)


def test_report_shows_ours_next_to_the_defaults(synth_all: dict[str, dict[str, Any]]) -> None:
    text, ok = report({e: synth_all[e] for e in ENVS})
    assert ok
    for env in ENVS:
        (line,) = [ln for ln in text.splitlines() if ln.startswith(env + " ")]
        assert "90 s" in line and "480 s" in line and line.rstrip().endswith("(5.3x faster)")


def test_main_reads_an_output_directory(synth_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert sorted(load_stacks(synth_dir)) == sorted(ENVS)
    assert main(["--out", str(synth_dir), "--env", "prod", "--check"]) == 0
    assert "prod " in capsys.readouterr().out


def test_main_explains_a_missing_synth(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--out", str(tmp_path)]) == 2
    assert "run `make synth` first" in capsys.readouterr().err


def test_a_blue_green_environment_says_what_its_row_means(synth_all: dict[str, Any]) -> None:
    from ops.deploy_timing import blue_green_note

    assert blue_green_note("prod", synth_all["prod"]) is None  # rolling
    note = blue_green_note("staging", synth_all["staging"])
    assert note is not None and note.startswith("staging: the web service is released by CodeDeploy"
                                                " (ECSCanary10Percent5Minutes), not rolled")  # fmt: skip
    assert "stops 5 min after the release" in note
