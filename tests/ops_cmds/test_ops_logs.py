"""`make logs`: SINCE / FILTER / FOLLOW against the emulator's CloudWatch Logs (moto)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from opscmd_support import CLUSTER, LOG_GROUP, SERVICE, Deployment, FakeClock, boto, put_events

from ops import logs
from ops.context import OpsError

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def no_outputs(cfg: Any, out: Any) -> dict[str, Any]:
    raise AssertionError("stack outputs must not be read when --log-group is given")


@pytest.fixture(scope="module")
def written(deployment: Deployment) -> Deployment:
    put_events(deployment.url, "web/app/task1", [
        (NOW - dt.timedelta(hours=2), "old: booting"),
        (NOW - dt.timedelta(minutes=10), "GET /health 200"),
        (NOW - dt.timedelta(minutes=5), "ERROR database unreachable"),
    ])  # fmt: skip
    put_events(deployment.url, "web/app/task2", [(NOW - dt.timedelta(minutes=1), "GET / 200")])
    return deployment


def run_logs(capsys: pytest.CaptureFixture[str], *args: str, **kwargs: Any) -> tuple[int, list[str], str]:
    kwargs.setdefault("now", lambda: NOW)
    code = logs.main(list(args), **kwargs)
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def test_logs_since_15m_shows_only_recent_events_in_time_order(
    written: Deployment, emulator_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, lines, err = run_logs(capsys, "--env", "local", "--log-group", LOG_GROUP, reader=no_outputs)
    assert code == 0, err
    assert [line.split("  ", 2)[2] for line in lines] == ["GET /health 200", "ERROR database unreachable", "GET / 200"]
    assert lines[0].split("  ")[1] == "web/app/task1" and lines[2].split("  ")[1] == "web/app/task2"
    assert "3 event(s) in /ecs/flask-app-local streams web/* since" in err
    assert "emulator" in err


def test_logs_since_3h_includes_older_events(written: Deployment, emulator_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, _ = run_logs(capsys, "--env", "local", "--log-group", LOG_GROUP, "--since", "3h", reader=no_outputs)
    assert code == 0
    assert len(lines) == 4 and lines[0].endswith("old: booting")


def test_logs_filter_pattern_is_passed_to_cloudwatch(written: Deployment, emulator_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, err = run_logs(capsys, "--env", "local", "--log-group", LOG_GROUP, "--filter", "ERROR", reader=no_outputs)
    assert code == 0
    assert [line.split("  ", 2)[2] for line in lines] == ["ERROR database unreachable"]
    assert "matching 'ERROR'" in err


def test_logs_json_gives_one_object_per_event(written: Deployment, emulator_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, _ = run_logs(capsys, "--env", "local", "--log-group", LOG_GROUP, "--json", reader=no_outputs)
    assert code == 0
    events = [json.loads(line) for line in lines]
    assert [e["message"] for e in events] == ["GET /health 200", "ERROR database unreachable", "GET / 200"]
    assert events[0]["stream"] == "web/app/task1"
    assert events[0]["timestamp"] == (NOW - dt.timedelta(minutes=10)).isoformat(timespec="milliseconds")


def test_logs_group_comes_from_the_output_then_the_task_definition(
    written: Deployment, emulator_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, lines, _ = run_logs(capsys, "--env", "local", reader=lambda cfg, out: {"log_group_name": LOG_GROUP})
    assert code == 0 and len(lines) == 3
    # No log_group_name output: the awslogs-group of the service's task definition is used.
    outputs = {"cluster_name": CLUSTER, "service_name": SERVICE}
    code, lines, err = run_logs(capsys, "--env", "local", reader=lambda cfg, out: outputs)
    assert code == 0, err
    assert len(lines) == 3


def test_logs_missing_group_is_named(written: Deployment, emulator_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_logs(capsys, "--env", "local", "--log-group", "/ecs/nope", reader=no_outputs)
    assert code == 1
    assert "log group '/ecs/nope' does not exist" in err


def test_logs_follow_emits_new_events_once_and_stops_at_the_timeout(
    written: Deployment, emulator_env: str, capsys: pytest.CaptureFixture[str], clock: FakeClock
) -> None:
    """A bounded follow: a new event written between polls is shown once; no poll after --timeout."""
    group = "/ecs/follow-test"
    client = boto(written.url, "logs")
    client.create_log_group(logGroupName=group)
    put_events(written.url, "app/app/t1", [(NOW - dt.timedelta(minutes=1), "before")], group=group)
    polls = []

    def sleep(seconds: float) -> None:
        polls.append(seconds)
        if len(polls) == 1:
            put_events(written.url, "app/app/t1", [(NOW + dt.timedelta(seconds=1), "after the first poll")], group=group)
        clock.sleep(seconds)

    emitted: list[str] = []
    count = logs.follow(
        client, group, logs.to_millis(NOW - dt.timedelta(minutes=15)),
        emit=lambda e: emitted.append(str(e["message"])), poll_seconds=2, timeout_seconds=5,
        sleep=sleep, clock=clock,
    )  # fmt: skip
    assert emitted == ["before", "after the first poll"]
    assert count == 2
    assert polls == [2, 2, 1]  # the last wait is cut to what is left of the 5 s
    err = capsys.readouterr().err
    assert "following /ecs/follow-test" in err and "stopped following /ecs/follow-test after 5 s" in err


def test_logs_follow_through_main_is_bounded_by_timeout(
    written: Deployment, emulator_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    waits: list[float] = []
    code, lines, err = run_logs(capsys, "--env", "local", "--log-group", LOG_GROUP, "--follow", "--timeout", "0.3",
                                "--poll-seconds", "0.1", reader=no_outputs, sleep=waits.append)  # fmt: skip
    assert code == 0
    assert len(lines) == 3
    assert waits and all(w <= 0.1 for w in waits)
    assert "stopped following" in err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15m", NOW - dt.timedelta(minutes=15)),
        ("30s", NOW - dt.timedelta(seconds=30)),
        ("2h", NOW - dt.timedelta(hours=2)),
        ("1d", NOW - dt.timedelta(days=1)),
        ("1w", NOW - dt.timedelta(weeks=1)),
        ("2025-06-01T08:00:00Z", dt.datetime(2025, 6, 1, 8, tzinfo=dt.UTC)),
        ("2025-06-01T08:00:00", dt.datetime(2025, 6, 1, 8, tzinfo=dt.UTC)),
    ],
)
def test_parse_since(text: str, expected: dt.datetime) -> None:
    assert logs.parse_since(text, NOW) == expected


def test_parse_since_rejects_bad_values_naming_them() -> None:
    with pytest.raises(OpsError, match=r"SINCE='15x' is not a duration or a time; allowed: <number><s\|m\|h\|d\|w>"):
        logs.parse_since("15x", NOW)
    with pytest.raises(OpsError, match=r"SINCE='2999-01-01' is in the future"):
        logs.parse_since("2999-01-01", NOW)


def test_logs_rejects_non_positive_timeout(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_logs(capsys, "--env", "local", "--log-group", "g", "--timeout", "0", reader=no_outputs)
    assert code == 2
    assert "--timeout=0" in err and "allowed: positive numbers" in err
