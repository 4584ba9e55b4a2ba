##@ Deploy

# Thin wrappers over `python -m ops.<command>`; the logic and its tests live in ops/ and
# tests/ops/. See docs/deploy.md. ENV defaults to `local`: the same stacks on the AWS emulator
# (moto on 127.0.0.1:$(EMULATOR_PORT)), which these targets start when it is not running.
#   make deploy  [ENV=prod] [DEPLOY_TIMEOUT=900] [SKIP_IMAGE=1 IMAGE_TAG=<tag>] [REGISTRY=host:port]
#                production: plans, then applies only that plan after CONFIRM=<env> (or the typed name)
#   make plan    [ENV=prod] [IMAGE_TAG=<tag>]  -> plans/<env>/ (binary plans, plan.txt, plan.json,
#                summary.md, fingerprint.json)
#   make apply   [ENV=prod] [ACK=open-ingress,...]  applies exactly the saved plans; refuses a stale one
#   make drift   [ENV=prod]     exit 0 = no changes; != 0 = changes or error (see docs/deploy.md)
#   make destroy [ENV=prod CONFIRM=prod]
# CONFIG=<file> uses another environments file than envconfig/environments.toml (deploy, plan, apply, drift, destroy).

EMULATOR_PORT ?= 5055
DEPLOY_TIMEOUT ?=
SKIP_IMAGE ?=
CONFIRM ?=
ACK ?=
CONFIG ?=
export EMULATOR_PORT DEPLOY_TIMEOUT SKIP_IMAGE
CONFIG_ARG = $(if $(CONFIG),--config '$(CONFIG)')

.PHONY: deploy
deploy: $(VENV_STAMP) $(NPM_STAMP) $(KERNEL_NODE_STAMP) ## Synth, apply <env>-registry, build+push the image, apply <env>, wait, smoke-test (production: a reviewed plan, CONFIRM=<env>)
	@$(PY) -m ops.deploy --env $(ENV) --out $(OUT) $(CONFIG_ARG) $(if $(CONFIRM),--confirm '$(CONFIRM)') $(if $(ACK),--ack '$(ACK)')

.PHONY: plan
plan: $(VENV_STAMP) $(KERNEL_NODE_STAMP) ## terraform plan both stacks into plans/<env>/ (summary.md for the PR, fingerprint for make apply)
	@$(PY) -m ops.plan --env $(ENV) --out $(OUT) $(CONFIG_ARG) $(if $(IMAGE_TAG),--image-tag '$(IMAGE_TAG)')

.PHONY: apply
apply: $(VENV_STAMP) $(KERNEL_NODE_STAMP) ## Apply exactly the plans make plan saved (refuses a stale plan; warnings need ACK=<kind>,...)
	@$(PY) -m ops.apply --env $(ENV) --out $(OUT) $(CONFIG_ARG) $(if $(ACK),--ack '$(ACK)')

.PHONY: drift
drift: $(VENV_STAMP) $(KERNEL_NODE_STAMP) ## Exit 0 only when ENV has no changes (ops.plan --drift: 0 none, 2 changes, 1 error)
	@$(PY) -m ops.plan --env $(ENV) --out $(OUT) $(CONFIG_ARG) --drift

.PHONY: destroy
destroy: $(VENV_STAMP) $(NPM_STAMP) ## Deletion protection off, cdktf destroy <env> then <env>-registry, prove nothing is left (prod: CONFIRM=prod); the state bucket stays
	@$(PY) -m ops.destroy --env $(ENV) --out $(OUT) $(CONFIG_ARG) $(if $(CONFIRM),--confirm '$(CONFIRM)')

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
