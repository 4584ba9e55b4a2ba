"""Fixtures for the app tests: a Flask app built from explicit settings, a real gunicorn, and SQS
queues on a moto server on 127.0.0.1 (one per session)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from apptest_helpers import Gunicorn, Queues, aws_env, create_queues, free_port, start_gunicorn
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.jsonlog import configure_json_logging
from app.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        app_name="orders-api",
        app_env="staging",
        app_version="abc1234",
        port=3000,
        log_level="INFO",
        workers=1,
        threads=1,
        tmp_dir=str(tmp_path),
    )


@pytest.fixture
def flask_app(settings: Settings) -> Flask:
    app = create_app(settings)

    @app.get("/boom")
    def boom() -> str:  # a route that fails, to exercise the 500 handler
        raise RuntimeError("database password=hunter2 rejected")

    return app


@pytest.fixture
def client(flask_app: Flask) -> FlaskClient:
    return flask_app.test_client()


@pytest.fixture
def gunicorn_server(tmp_path: Path) -> Iterator[Gunicorn]:
    server = start_gunicorn(tmp_path)
    try:
        server.wait_healthy()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """A moto server in this test session, on a free port of 127.0.0.1."""
    server_mod = pytest.importorskip("moto.server", reason="moto[server] is not installed (requirements-dev.txt)")
    server = server_mod.ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def sqs_env(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """This test's boto3 clients talk to the session's moto server; returns the variables set."""
    env = aws_env(moto_url)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "QUEUE_URL", "DLQ_URL"):
        monkeypatch.delenv(name, raising=False)
    return env


@pytest.fixture(scope="session")
def boto_session(moto_url: str) -> object:
    """One boto3 Session for the queue clients the tests build (each new Session costs ~0.06 s)."""
    import boto3

    return boto3.session.Session()


@pytest.fixture
def queues(moto_url: str, sqs_env: dict[str, str]) -> Queues:
    """A fresh work queue with a dead-letter queue after 2 receives, visibility timeout 0."""
    return create_queues(moto_url)


@pytest.fixture
def json_logs() -> None:
    """The ``app`` loggers (app.worker, app.job) write JSON lines to stdout, as the commands set them up."""
    configure_json_logging(logging.getLogger("app"), service="flask-app", level="INFO")
