"""The Flask app the ECS service runs (see `app.factory` for the endpoints).

Smallest example::

    from app import create_app
    create_app().test_client().get("/").get_json()
    # {"service": "flask-app", "version": "dev", "environment": "local"}

``create_app`` imports Flask on first call, so ``app.settings`` (the port, health
path and timeouts the infrastructure code reads) can be imported without Flask.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from app.settings import Settings

__all__ = ["create_app"]


def create_app(settings: Settings | None = None) -> Flask:
    """Build the Flask app; ``settings`` defaults to `app.settings.load_settings()`."""
    from app.factory import create_app as _create_app

    return _create_app(settings)
