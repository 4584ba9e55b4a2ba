"""The app plus a slow route, for the shutdown test only: it keeps requests in flight.

Run as ``gunicorn --config python:app.gunicorn_conf slow_wsgi:app`` with this
folder on PYTHONPATH. The production app has no such route.
"""

from __future__ import annotations

import time

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from app import create_app

app = create_app()


@app.get("/slow")
def slow() -> ResponseReturnValue:
    seconds = min(float(request.args.get("s", "1")), 5.0)
    time.sleep(seconds)
    return jsonify(slept=seconds)
