##@ Operate

# A picture of what is deployed, drawn from the synthesized stacks (ops/diagram.py): AWS icons,
# SVG + PNG + the model as JSON. Needs graphviz's `dot` (apt-get install -y graphviz).
#   make diagram ENV=prod           -> .build/diagram/prod.{svg,png,json}
#   make diagram ENV=prod DOCS=1    -> docs/diagram/prod.* (the README's picture; tests/test_diagram.py fails when stale)
# `make plan` draws the plan's diagram next to summary.md by itself.

DOCS ?=

.PHONY: diagram
diagram: $(VENV_STAMP) $(KERNEL_NODE_STAMP) ## Draw ENV from its synthesized stacks as SVG + PNG (.build/diagram/; DOCS=1: docs/diagram/)
	@$(PY) -m ops.diagram --env $(ENV) --out $(OUT) $(CONFIG_ARG) $(if $(filter 1 yes true,$(DOCS)),--docs)
