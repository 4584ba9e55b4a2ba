##@ End-to-end

# The emulator cycle, as its own CI lane (.ci/run): a fresh emulator and fresh state, then
# make deploy (local), make drift ENV=local (must be exit 0), make destroy ENV=local (nothing
# left). Real Terraform and the real provider; about 5 minutes. See tests/e2e/.

.PHONY: test-e2e
test-e2e: $(VENV_STAMP) $(NPM_STAMP) ## CI lane: fresh emulator, make deploy, make drift ENV=local (no changes), make destroy (nothing left)
	@E2E=1 $(PY) -m pytest -q -rs -s tests/e2e
