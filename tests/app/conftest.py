"""Fixtures for the app tests: a Flask app built from explicit settings, and a real gunicorn."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from apptest_helpers import Gunicorn, start_gunicorn
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
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
