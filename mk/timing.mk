##@ Benchmarks

.PHONY: deploy-timing
bench:: deploy-timing
deploy-timing: synth ## Worst-case rolling-deploy time per environment from the synthesized settings vs AWS defaults (target <= 90 s)
	@$(PY) -m ops.deploy_timing --out $(OUT)
