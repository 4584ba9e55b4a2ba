"""The app plus a slow route, for the shutdown test only: it keeps requests in flight.

Run as ``gunicorn --config python:app.gunicorn_conf slow_wsgi:app`` with this
folder on PYTHONPATH. The production app has no such route.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from pathlib import Path

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from app import create_app

app = create_app()


@app.get("/slow")
def slow() -> ResponseReturnValue:
    seconds = min(float(request.args.get("s", "1")), 5.0)
    # Tell the test this request is in flight (TMPDIR is the test's own tmp_path).
    marker = Path(tempfile.gettempdir()) / f"slow-started-{os.getpid()}-{threading.get_ident()}-{time.monotonic_ns()}"
    marker.touch()
    time.sleep(seconds)
    return jsonify(slept=seconds)
