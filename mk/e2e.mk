##@ End-to-end

# The emulator cycle, as its own CI lane (.ci/run): a fresh emulator and fresh state, then
# make deploy (local), make drift ENV=local (must be exit 0), make destroy ENV=local (nothing
# left). Then the reviewed-plan workflow on its own fresh emulator: make plan -> make apply
# applies the saved plan; an input or the state changed in between makes make apply refuse.
# Real Terraform and the real provider; about 5 minutes each. See tests/e2e/.

.PHONY: test-e2e
test-e2e: $(VENV_STAMP) $(NPM_STAMP) ## CI lane: fresh emulator, make deploy, make drift ENV=local (no changes), make destroy (nothing left); make plan -> make apply
	@E2E=1 $(PY) -m pytest -q -rs -s tests/e2e
