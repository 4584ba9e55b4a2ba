##@ End-to-end

# The emulator cycle, as its own CI lane (.ci/run): a fresh emulator and fresh state, then
# make deploy (local), make drift ENV=local (must be exit 0), make destroy ENV=local (nothing
# left). Then the reviewed-plan workflow on its own fresh emulator: make plan -> make apply
# applies the saved plan; an input or the state changed in between makes make apply refuse.
# Real Terraform and the real provider. See tests/e2e/.
# The emulator checks every request against botocore's API model (ops/api_model.py) and records
# it in E2E_API_LOG; the lane prints the coverage and fails on any violation.

E2E_API_LOG ?= .state/e2e-api.jsonl

.PHONY: test-e2e
test-e2e: $(VENV_STAMP) $(NPM_STAMP) ## CI lane: the emulator cycles (deploy, drift, destroy, nothing left; plan -> apply); 0 API-model violations
	@mkdir -p $(dir $(E2E_API_LOG)) && rm -f $(E2E_API_LOG); \
	E2E=1 EMULATOR_API_LOG=$(abspath $(E2E_API_LOG)) $(PY) -m pytest -q -rs -s tests/e2e; status=$$?; \
	if [ -f $(E2E_API_LOG) ]; then $(PY) -m ops.api_model report $(E2E_API_LOG) || status=1; \
	else echo "api-model: no requests recorded (the cycle did not run)"; fi; \
	exit $$status
