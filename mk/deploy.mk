##@ Deploy

# Thin wrappers over `python -m ops.<command>`; the logic and its tests live in ops/ and
# tests/ops/. See docs/deploy.md. ENV defaults to `local`: the same stacks on the AWS emulator
# (moto on 127.0.0.1:$(EMULATOR_PORT)), which these targets start when it is not running.
#   make deploy  [ENV=prod] [DEPLOY_TIMEOUT=900] [SKIP_IMAGE=1 IMAGE_TAG=<tag>] [REGISTRY=host:port]
#   make plan    [ENV=prod]     -> plans/<env>/ (binary plans, plan.txt, plan.json, summary.md)
#   make drift   [ENV=prod]     exit 0 = no changes; != 0 = changes or error (see docs/deploy.md)
#   make destroy [ENV=prod CONFIRM=prod]

EMULATOR_PORT ?= 5055
DEPLOY_TIMEOUT ?=
SKIP_IMAGE ?=
CONFIRM ?=
export EMULATOR_PORT DEPLOY_TIMEOUT SKIP_IMAGE

.PHONY: deploy
deploy: $(VENV_STAMP) $(NPM_STAMP) $(KERNEL_NODE_STAMP) ## Synth, apply <env>-registry, build+push the image, apply <env>, wait for the rollout, smoke-test /health
	@$(PY) -m ops.deploy --env $(ENV) --out $(OUT)

.PHONY: plan
plan: $(VENV_STAMP) $(KERNEL_NODE_STAMP) ## terraform plan both stacks into plans/<env>/ with summary.md for the PR; exit 0 when computed
	@$(PY) -m ops.plan --env $(ENV) --out $(OUT)

.PHONY: drift
drift: $(VENV_STAMP) $(KERNEL_NODE_STAMP) ## Exit 0 only when ENV has no changes (ops.plan --drift: 0 none, 2 changes, 1 error)
	@$(PY) -m ops.plan --env $(ENV) --out $(OUT) --drift

.PHONY: destroy
destroy: $(VENV_STAMP) $(NPM_STAMP) ## cdktf destroy <env>, then <env>-registry; fail if anything tagged with ENV is left (prod: CONFIRM=prod)
	@$(PY) -m ops.destroy --env $(ENV) --out $(OUT) $(if $(CONFIRM),--confirm '$(CONFIRM)')

.PHONY: emulator-start
emulator-start: $(VENV_STAMP) ## Start the local AWS emulator (moto) on 127.0.0.1:EMULATOR_PORT (5055) unless it is running
	@$(PY) -m ops.emulator start

.PHONY: emulator-stop
emulator-stop: $(VENV_STAMP) ## Stop the emulator by the PID in .state/emulator-<port>.pid
	@$(PY) -m ops.emulator stop

.PHONY: bootstrap
bootstrap: $(VENV_STAMP) ## Create ENV's Terraform state bucket once per account and region (idempotent; see README "Set up a new account")
	@$(PY) -m ops.bootstrap --env $(ENV)

.PHONY: migrate-state
migrate-state: $(VENV_STAMP) $(KERNEL_NODE_STAMP) ## Move ENV's local state (.state/<stack>.tfstate) into its S3 backend with terraform init -migrate-state
	@$(PY) -m ops.migrate_state --env $(ENV) --out $(OUT)
