##@ End-to-end

# The emulator cycle, as its own CI lane (.ci/run), on ONE fresh emulator (tests/e2e/): a
# production-shaped deploy (CONFIRM, the reviewed plan) and its teardown (deletion protection off
# first, nothing left); a redeploy; a second operator's drift (shared S3 state: no changes); a
# reviewed plan applied while the second operator's apply is refused on the lock; stale plans
# refused; the operate commands; destroy (nothing left). Real Terraform and the real provider,
# about 12 minutes. The emulator checks every request against botocore's API model
# (ops/api_model.py) and records it in E2E_API_LOG; the lane prints the coverage and fails on any
# violation.

E2E_API_LOG ?= .state/e2e-api.jsonl

.PHONY: test-e2e
test-e2e: $(VENV_STAMP) $(NPM_STAMP) ## CI lane: the emulator cycles (deploy, drift, destroy, nothing left; plan -> apply); 0 API-model violations
	@mkdir -p $(dir $(E2E_API_LOG)) && rm -f $(E2E_API_LOG); \
	E2E=1 EMULATOR_API_LOG=$(abspath $(E2E_API_LOG)) $(PY) -m pytest -q -rs -s tests/e2e; status=$$?; \
	if [ -f $(E2E_API_LOG) ]; then $(PY) -m ops.api_model report $(E2E_API_LOG) || status=1; \
	else echo "api-model: no requests recorded (the cycle did not run)"; fi; \
	exit $$status
