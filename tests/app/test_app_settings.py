"""Environment configuration: defaults, validation at start-up, and the contract constants."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import pytest

from app import healthcheck as healthcheck_mod
from app import settings as settings_mod
from app.settings import (
    DEFAULT_PORT,
    GRACEFUL_TIMEOUT_SECONDS,
    HEALTH_PATH,
    JOB_COMMAND,
    RUN_AS_GID,
    RUN_AS_UID,
    WEB_COMMAND,
    WORKER_COMMAND,
    WORKER_MAX_MESSAGES,
    WORKER_RECEIVE_WAIT_SECONDS,
    SettingsError,
    default_workers,
    load_settings,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
ECS_DEFAULT_STOP_TIMEOUT_SECONDS = 30  # the service construct's default container stopTimeout


def test_defaults() -> None:
    s = load_settings({})
    assert (s.app_name, s.app_env, s.app_version, s.port, s.log_level) == ("flask-app", "local", "dev", 3000, "INFO")
    assert s.workers == default_workers()
    assert s.threads == 2
    assert s.tmp_dir == "/tmp"


def test_values_from_the_environment() -> None:
    s = load_settings({"APP_NAME": "orders", "APP_ENV": "prod", "APP_VERSION": "1a2b3c4", "PORT": "8080",
                       "LOG_LEVEL": "debug", "WEB_CONCURRENCY": "3", "GUNICORN_THREADS": "8", "TMPDIR": "/scratch"})
    assert (s.app_name, s.app_env, s.app_version, s.port, s.log_level, s.workers, s.threads, s.tmp_dir) == (
        "orders", "prod", "1a2b3c4", 8080, "DEBUG", 3, 8, "/scratch")


def test_empty_values_mean_the_default() -> None:
    assert load_settings({"PORT": "", "APP_ENV": ""}).port == DEFAULT_PORT


def test_default_workers_is_two_per_cpu_plus_one() -> None:
    assert default_workers(1) == 3
    assert default_workers(4) == 9
    assert default_workers(1000) == 64


@pytest.mark.parametrize(
    ("env", "match"),
    [
        ({"PORT": "abc"}, r"PORT='abc' is not valid; allowed: an integer 1\.\.65535"),
        ({"PORT": "0"}, r"PORT='0' is not valid; allowed: an integer 1\.\.65535"),
        ({"PORT": "70000"}, r"PORT='70000' is not valid"),
        ({"APP_ENV": "production"}, r"APP_ENV='production' is not valid; allowed: local, dev, staging, prod"),
        ({"APP_NAME": "Bad Name"}, r"APP_NAME='Bad Name' is not valid; allowed: lower-case letters"),
        ({"APP_VERSION": "v1 beta"}, r"APP_VERSION='v1 beta' is not valid; allowed: letters, digits"),
        ({"LOG_LEVEL": "loud"}, r"LOG_LEVEL='loud' is not valid; allowed: DEBUG, INFO, WARNING, ERROR, CRITICAL"),
        ({"WEB_CONCURRENCY": "0"}, r"WEB_CONCURRENCY='0' is not valid; allowed: an integer 1\.\.64"),
        ({"WEB_CONCURRENCY": "two"}, r"WEB_CONCURRENCY='two' is not valid"),
        ({"GUNICORN_THREADS": "65"}, r"GUNICORN_THREADS='65' is not valid; allowed: an integer 1\.\.64"),
        ({"TMPDIR": "tmp"}, r"TMPDIR='tmp' is not valid; allowed: an absolute path"),
        ({"QUEUE_URL": "flask-app-dev-jobs"},
         r"QUEUE_URL='flask-app-dev-jobs' is not valid; allowed: the URL of a standard SQS queue, https://sqs\."),
        ({"QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs.fifo"},
         r"QUEUE_URL='https://sqs.eu-west-1.amazonaws.com/123456789012/jobs.fifo' is not valid; allowed: the URL of a standard SQS queue"),
        ({"QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/1234/jobs"}, r"QUEUE_URL='.*/1234/jobs' is not valid; allowed: .*12-digit account id"),
        ({"QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs", "DLQ_URL": "arn:aws:sqs:eu-west-1:123456789012:dlq"},
         r"DLQ_URL='arn:aws:sqs:eu-west-1:123456789012:dlq' is not valid; allowed: the URL of a standard SQS queue"),
        ({"QUEUE_URL": "http://127.0.0.1:5056/123456789012/jobs"},
         r"AWS_REGION is not set \(nor AWS_DEFAULT_REGION\) and QUEUE_URL='http://127.0.0.1:5056/123456789012/jobs' names no region; allowed: AWS_REGION set to an AWS region such as us-east-1"),
        ({"QUEUE_URL": "http://127.0.0.1:5056/123456789012/jobs", "AWS_REGION": "Frankfurt"},
         r"AWS_REGION='Frankfurt' is not valid; allowed: an AWS region such as us-east-1"),
        ({"QUEUE_URL": "http://127.0.0.1:5056/123456789012/jobs", "AWS_DEFAULT_REGION": "eu_west_1"},
         r"AWS_DEFAULT_REGION='eu_west_1' is not valid; allowed: an AWS region such as us-east-1"),
        ({"QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs", "AWS_REGION": "us-east-1"},
         r"QUEUE_URL='https://sqs.eu-west-1.amazonaws.com/123456789012/jobs' is not valid with AWS_REGION='us-east-1'; allowed: a queue in us-east-1"),
    ],
)
def test_invalid_values_name_variable_value_and_allowed(env: dict[str, str], match: str) -> None:
    with pytest.raises(SettingsError, match=match):
        load_settings(env)


def test_queue_settings_from_the_environment() -> None:
    s = load_settings({"QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/123456789012/flask-app-dev-jobs",
                       "DLQ_URL": "https://sqs.eu-west-1.amazonaws.com/123456789012/flask-app-dev-jobs-dlq",
                       "AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "us-east-1"})
    assert (s.queue_url, s.dlq_url, s.aws_region) == (
        "https://sqs.eu-west-1.amazonaws.com/123456789012/flask-app-dev-jobs",
        "https://sqs.eu-west-1.amazonaws.com/123456789012/flask-app-dev-jobs-dlq", "eu-west-1")
    assert s.public()["queue_url"] == s.queue_url


@pytest.mark.parametrize(
    ("env", "region"),
    [
        ({"QUEUE_URL": "https://sqs.ap-southeast-2.amazonaws.com/123456789012/jobs"}, "ap-southeast-2"),
        ({"QUEUE_URL": "https://eu-central-1.queue.amazonaws.com/123456789012/jobs"}, "eu-central-1"),
        ({"QUEUE_URL": "https://sqs.cn-north-1.amazonaws.com.cn/123456789012/jobs"}, "cn-north-1"),
        ({"QUEUE_URL": "http://127.0.0.1:5056/123456789012/jobs", "AWS_DEFAULT_REGION": "us-gov-west-1"}, "us-gov-west-1"),
        ({"QUEUE_URL": "http://localhost:5056/123456789012/jobs", "AWS_REGION": "eu-west-1"}, "eu-west-1"),
    ],
)
def test_the_region_comes_from_aws_region_or_the_queue_url(env: dict[str, str], region: str) -> None:
    assert load_settings(env).aws_region == region


def test_without_a_queue_there_are_no_queue_settings() -> None:
    s = load_settings({"AWS_REGION": "not a region", "DLQ_URL": ""})  # the region is read only for a queue
    assert (s.queue_url, s.dlq_url, s.aws_region) == (None, None, None)


def test_commands_that_need_the_queue_name_it_when_it_is_unset() -> None:
    with pytest.raises(SettingsError, match=r"^QUEUE_URL is not set; allowed: the URL of a standard SQS queue, https://sqs\."):
        load_settings({}).require_queue_url()
    url = "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs"
    assert load_settings({"QUEUE_URL": url}).require_queue_url() == url


def test_settings_error_is_a_value_error() -> None:
    assert issubclass(SettingsError, ValueError)


def test_settings_module_does_not_import_flask() -> None:
    source = Path(settings_mod.__file__).read_text()
    assert not re.search(r"^\s*(import|from)\s+(flask|gunicorn|werkzeug|boto3|botocore)", source, re.MULTILINE)


def test_graceful_timeout_is_shorter_than_the_ecs_stop_timeout() -> None:
    assert 0 < GRACEFUL_TIMEOUT_SECONDS < ECS_DEFAULT_STOP_TIMEOUT_SECONDS


def test_gunicorn_config_matches_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PORT", "WEB_CONCURRENCY", "GUNICORN_THREADS", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    import app.gunicorn_conf as conf

    conf = importlib.reload(conf)
    assert conf.bind == f"0.0.0.0:{DEFAULT_PORT}"
    assert conf.worker_tmp_dir == "/dev/shm"
    assert conf.graceful_timeout == GRACEFUL_TIMEOUT_SECONDS
    assert conf.workers == default_workers()
    assert conf.worker_class == "gthread"
    assert conf.accesslog == "-"
    assert conf.logger_class == "app.gunicorn_logger.JsonGunicornLogger"


def test_gunicorn_config_follows_port_and_web_concurrency(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "8081")
    monkeypatch.setenv("WEB_CONCURRENCY", "5")
    import app.gunicorn_conf as conf

    conf = importlib.reload(conf)
    assert conf.bind == "0.0.0.0:8081"
    assert conf.workers == 5
    monkeypatch.undo()
    importlib.reload(conf)


def test_dockerfile_matches_the_contract() -> None:
    text = (REPO_ROOT / "Dockerfile").read_text()
    assert re.search(rf"^EXPOSE {DEFAULT_PORT}$", text, re.MULTILINE)
    assert re.search(rf"^USER {RUN_AS_UID}:{RUN_AS_GID}$", text, re.MULTILINE)
    healthcheck = re.search(r"^HEALTHCHECK .*", text, re.MULTILINE | re.DOTALL)
    assert healthcheck and '"python", "-m", "app.healthcheck"' in healthcheck.group(0)
    assert healthcheck_mod.probe.__defaults__ is not None and healthcheck_mod.probe.__defaults__[0] == HEALTH_PATH
    assert re.search(r"^ARG BASE_IMAGE=\S+", text, re.MULTILINE)
    assert "--mount" not in text and "# syntax=" not in text  # no BuildKit-only syntax
    assert "python:app.gunicorn_conf" in text
    cmd = re.search(r"^CMD (\[.*\])$", text, re.MULTILINE)
    assert cmd and tuple(json.loads(cmd.group(1))) == WEB_COMMAND


@pytest.mark.parametrize("command", [WORKER_COMMAND, JOB_COMMAND], ids=["worker", "job"])
def test_the_workload_commands_run_modules_the_image_carries(command: tuple[str, ...]) -> None:
    """``python -m app.<module>``: the module exists under app/, which the Dockerfile copies whole."""
    assert command[:2] == ("python", "-m")
    module = command[2]
    assert module.startswith("app.") and (REPO_ROOT / (module.replace(".", "/") + ".py")).is_file()
    assert 'if __name__ == "__main__":' in (REPO_ROOT / (module.replace(".", "/") + ".py")).read_text()
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    assert re.search(r"^COPY app/ /srv/app/$", dockerfile, re.MULTILINE)
    assert re.search(r"^WORKDIR /srv$", dockerfile, re.MULTILINE)  # so `python -m app.…` finds the package
    assert "!app/" in (REPO_ROOT / ".dockerignore").read_text().splitlines()


def test_the_worker_receive_settings_are_the_sqs_maxima() -> None:
    assert WORKER_RECEIVE_WAIT_SECONDS == 20
    assert WORKER_MAX_MESSAGES == 10
