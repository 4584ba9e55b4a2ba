# ECS Fargate service for a Flask app, as CDKTF (Python) -> Terraform JSON.
# `make help` lists the targets. Every target sets up what it needs (venv, npm
# packages) on first use; running it again does no harm.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

ENV ?= local
VENV ?= .venv
PY := $(VENV)/bin/python
OUT ?= cdktf.out

# The jsii runtime prints a large banner on every run under an end-of-life Node;
# silence it for whatever major version is installed (the check is per version).
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION ?= $(shell node -p 'process.versions.node.split(".")[0]' 2>/dev/null)
export CHECKPOINT_DISABLE := 1

VENV_STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.installed
KERNEL_NODE_STAMP := tools/kernel-node/node_modules/.installed

##@ Setup

.PHONY: prereqs
prereqs: ## Check Python >= 3.11 and Node >= 18 are installed
	@python3 scripts/check_prereqs.py python node

.PHONY: venv
venv: $(VENV_STAMP) ## Create the Python venv and install pinned packages

# requirements-dev.txt is a lock (`make lock`): every package pinned with its hashes, so pip
# installs exactly the files that were locked, or fails.
$(VENV_STAMP): requirements-dev.txt
	@python3 scripts/check_prereqs.py python
	@echo "==> creating venv in $(VENV) and installing requirements-dev.txt (hash-checked)"
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install -qq --disable-pip-version-check --require-hashes -r requirements-dev.txt
	@touch $@

# The *.in files hold the direct pins; `make lock` compiles each into its *.txt lock with uv
# (pinned in requirements-dev.in): every dependency pinned, with the hashes of every file of that
# release, for Python 3.11 on any platform. requirements.txt comes first: the others are
# constrained by it. `make lock LOCK_ARGS="--upgrade-package NAME"` moves one package.
LOCKS := requirements requirements-app requirements-dev requirements-security
LOCK_ARGS ?=

.PHONY: lock
lock: $(VENV_STAMP) ## Compile requirements*.in into the hashed requirements*.txt locks (needs the package index)
	@for name in $(LOCKS); do \
	  echo "==> $$name.in -> $$name.txt"; \
	  $(VENV)/bin/uv --no-config pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	    --custom-compile-command "make lock" $(LOCK_ARGS) -o $$name.txt $$name.in; \
	done

.PHONY: npm
npm: $(NPM_STAMP) ## Install the pinned cdktf-cli (npx cdktf ...)

$(NPM_STAMP): package.json package-lock.json
	@python3 scripts/check_prereqs.py node
	@echo "==> installing npm packages (cdktf-cli)"
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

.PHONY: kernel-node
kernel-node: $(KERNEL_NODE_STAMP) ## Install Node.js 22 for the synth's jsii kernel (optional: else the system node)

# Optional: synth works with any Node >= 18, just slower (fastsynth/README.md, 8). A failed
# install warns and leaves no stamp, so the next target tries again.
$(KERNEL_NODE_STAMP): tools/kernel-node/package.json tools/kernel-node/package-lock.json
	@echo "==> installing Node.js 22 for the jsii kernel (tools/kernel-node)"
	@if npm ci --prefix tools/kernel-node --no-audit --no-fund --loglevel=error; then touch $@; \
	else echo "warning: tools/kernel-node not installed; the system node runs the jsii kernel" >&2; fi

.PHONY: setup
setup: $(VENV_STAMP) $(NPM_STAMP) $(KERNEL_NODE_STAMP) ## Install everything the targets need

##@ Build

.PHONY: synth
synth: $(VENV_STAMP) $(KERNEL_NODE_STAMP) ## Synthesize every environment to cdktf.out/ (skips when nothing changed)
	@$(PY) -m ops.synth --out $(OUT)

##@ Quality

.PHONY: test
test: $(VENV_STAMP) $(NPM_STAMP) $(KERNEL_NODE_STAMP) ## Run the quick test suite (terraform tests skip with a reason if terraform is missing)
	@$(PY) -m pytest -q -rs -m "not terraform_apply"

.PHONY: test-terraform
test-terraform: $(VENV_STAMP) $(NPM_STAMP) $(KERNEL_NODE_STAMP) ## CI lane: the ops runners' terraform plan/apply/migrate-state and an NLB apply against the emulator (~3 min)
	@$(PY) -m pytest -q -rs -m terraform_apply tests/ops

.PHONY: lint
lint: $(VENV_STAMP) ## ruff + mypy over main.py, modules/, app/ and the tooling
	@$(VENV)/bin/ruff check main.py fastsynth modules rules app envconfig ops stacks security bench scripts tests
	@$(VENV)/bin/mypy main.py fastsynth modules rules app envconfig ops stacks security bench

.PHONY: clean
clean: ## Remove synthesized output and caches (keeps venv and state)
	rm -rf $(OUT) .pytest_cache .mypy_cache .ruff_cache

##@ Setup

.PHONY: help
help: ## Show this help
	@awk 'BEGIN {FS = ":.*##"} \
	  /^##@/ {cur = substr($$0, 5); if (!(cur in seen)) {seen[cur] = 1; order[n++] = cur}; next} \
	  /^[a-zA-Z0-9_.-]+:.*##/ {items[cur] = items[cur] sprintf("  \033[36m%-16s\033[0m %s\n", $$1, $$2)} \
	  END {for (i = 0; i < n; i++) if (items[order[i]] != "") printf "\n\033[1m%s\033[0m\n%s", order[i], items[order[i]]}' $(MAKEFILE_LIST)
	@echo; echo "Variables: ENV=$(ENV) (local|dev|staging|prod)"
	@echo "WORKLOAD=<name>: web (the environment's own service) or a workload of envconfig/environments.toml, one of:"
	@echo "  web      on the shared ALB: paths = [\"/admin/*\"], priority = 10; or its own NLB: nlb = { protocol = \"TCP\", port = 9000 }"
	@echo "  backend  Cloud Map only: callers = [\"web\"]"
	@echo "  worker   an SQS queue: queue = {}, container = { command = [\"python\", \"-m\", \"app.worker\"] }"
	@echo "  job      a schedule: schedule = \"cron(30 1 * * ? *)\", timezone = \"Asia/Ho_Chi_Minh\""
	@echo "  (README.md, Workloads: one full example of each kind)"

# Feature areas keep their targets in mk/*.mk.
-include $(sort $(wildcard mk/*.mk))
