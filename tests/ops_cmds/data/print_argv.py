"""Stands in for the venv's python in tests/ops_cmds/test_ops_make.py: prints its argv as JSON."""

import json
import sys

print(json.dumps(sys.argv[1:]))
