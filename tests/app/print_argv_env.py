"""Stands in for the venv's python in the `make run` / `make run-job` tests: prints its argv and
the PORT and SQS_PORT it was given, as JSON."""

import json
import os
import sys

print(json.dumps({"argv": sys.argv[1:], "PORT": os.environ.get("PORT"), "SQS_PORT": os.environ.get("SQS_PORT")}))
