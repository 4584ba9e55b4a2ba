##@ Operate

# Thin wrappers over `python -m ops.<command>`; the logic and its tests live in ops/ and
# tests/ops_cmds/. See docs/operate.md.
#   make status   ENV=prod [WORKLOAD=worker] [FORMAT=json]   (every workload in one table without WORKLOAD)
#   make logs     ENV=prod [WORKLOAD=worker] [SINCE=15m] [FOLLOW=1] [FILTER=ERROR] [TIMEOUT=600]
#   make run-task ENV=prod CMD="flask db upgrade" [TIMEOUT=900]
#   make run-task ENV=prod WORKLOAD=report [CMD="..."]     (a job: its own command unless CMD is given)
#   make cost     [ENV=prod]        (every environment side by side when ENV is not given)
# WORKLOAD is `web` (the environment's own web service) or a workload of envconfig/environments.toml.

SINCE ?= 15m
FORMAT ?= table
FILTER ?=
FOLLOW ?=
CMD ?=
TIMEOUT ?=
WORKLOAD ?=

.PHONY: status
status: $(VENV_STAMP) ## Every workload in one table, then the web service in detail; WORKLOAD=<name> for one (FORMAT=json)
	@$(PY) -m ops.status --env $(ENV) --out $(OUT) --format $(FORMAT) $(if $(WORKLOAD),--workload '$(WORKLOAD)')

.PHONY: logs
logs: $(VENV_STAMP) ## CloudWatch logs of WORKLOAD (default web) (SINCE=15m FOLLOW=1 FILTER=... TIMEOUT=600)
	@$(PY) -m ops.logs --env $(ENV) --out $(OUT) --since '$(SINCE)' $(if $(WORKLOAD),--workload '$(WORKLOAD)') \
	  $(if $(FILTER),--filter '$(subst ','"'"',$(FILTER))') $(if $(filter 1 yes true,$(FOLLOW)),--follow) \
	  $(if $(TIMEOUT),--timeout $(TIMEOUT))

.PHONY: run-task
run-task: $(VENV_STAMP) ## Run CMD="..." once in a task of WORKLOAD (default web), or a job (WORKLOAD=report); exits non-zero when it fails
	@$(PY) -m ops.run_task --env $(ENV) --out $(OUT) $(if $(WORKLOAD),--workload '$(WORKLOAD)') \
	  $(if $(CMD),--command '$(subst ','"'"',$(CMD))') $(if $(TIMEOUT),--timeout $(TIMEOUT))

.PHONY: cost
cost: $(VENV_STAMP) ## Monthly cost estimate from the synthesized stacks ([ENV=...]; all side by side by default)
	@$(PY) -m ops.cost --out $(OUT) $(if $(filter-out undefined default file,$(origin ENV)),--env $(ENV))
