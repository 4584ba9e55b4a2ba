##@ Build

.PHONY: snapshots
snapshots: $(VENV_STAMP) ## Refresh tests/snapshots/ after an intended change (review the diff!)
	@UPDATE_SNAPSHOTS=1 $(PY) -m pytest -q tests/test_synth.py -k snapshot
	@git --no-pager diff --stat -- tests/snapshots || true
