##@ Operate

# Thin wrappers over `python -m ops.<command>`; the logic and its tests live in ops/ and
# tests/ops_cmds/. See docs/operate.md.
#   make status   ENV=prod [FORMAT=json]
#   make logs     ENV=prod [SINCE=15m] [FOLLOW=1] [FILTER=ERROR] [TIMEOUT=600]
#   make run-task ENV=prod CMD="flask db upgrade" [TIMEOUT=900]
#   make cost     [ENV=prod]        (every environment side by side when ENV is not given)

SINCE ?= 15m
FORMAT ?= table
FILTER ?=
FOLLOW ?=
CMD ?=
TIMEOUT ?=

.PHONY: status
status: $(VENV_STAMP) ## Service status: counts, rollouts, events, stopped tasks, targets, image (FORMAT=json)
	@$(PY) -m ops.status --env $(ENV) --out $(OUT) --format $(FORMAT)

.PHONY: logs
logs: $(VENV_STAMP) ## CloudWatch logs of the service (SINCE=15m FOLLOW=1 FILTER=... TIMEOUT=600)
	@$(PY) -m ops.logs --env $(ENV) --out $(OUT) --since '$(SINCE)' \
	  $(if $(FILTER),--filter '$(subst ','"'"',$(FILTER))') $(if $(filter 1 yes true,$(FOLLOW)),--follow) \
	  $(if $(TIMEOUT),--timeout $(TIMEOUT))

.PHONY: run-task
run-task: $(VENV_STAMP) ## Run CMD="..." once as a task from the service's definition; fails with the container's exit code
	@$(PY) -m ops.run_task --env $(ENV) --out $(OUT) --command '$(subst ','"'"',$(CMD))' \
	  $(if $(TIMEOUT),--timeout $(TIMEOUT))

.PHONY: cost
cost: $(VENV_STAMP) ## Monthly cost estimate from the synthesized stacks ([ENV=...]; all side by side by default)
	@$(PY) -m ops.cost --out $(OUT) $(if $(filter-out undefined default file,$(origin ENV)),--env $(ENV))
