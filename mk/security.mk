##@ Quality

# The security gate (docs/security.md). The scanners live in their own venv: checkov pins
# many dependencies that would conflict with the project's .venv.
TOOLS_VENV ?= .tools-venv
TOOLS_PY := $(TOOLS_VENV)/bin/python
TOOLS_STAMP := $(TOOLS_VENV)/.installed

$(TOOLS_STAMP): requirements-security.txt
	@python3 scripts/check_prereqs.py python
	@echo "==> creating the scanner venv $(TOOLS_VENV) (checkov, parliament, hadolint, pip-audit from the hashed requirements-security.txt)"
	@test -x $(TOOLS_PY) || python3 -m venv $(TOOLS_VENV)
	@$(TOOLS_PY) -m pip install -qq --disable-pip-version-check --require-hashes -r requirements-security.txt
	@touch $@

.PHONY: security-tools
security-tools: $(TOOLS_STAMP) ## Install checkov, parliament, hadolint and pip-audit into .tools-venv

.PHONY: security
security: $(VENV_STAMP) $(TOOLS_STAMP) ## checkov, IAM audit (parliament), hadolint, pip-audit of the image's dependencies, secure defaults, bad-input matrix
	@$(PY) -m ops.synth --out $(OUT)
	@rc=0; \
	echo "==> checkov (terraform_json) over $(OUT)/stacks"; $(TOOLS_PY) security/run_checkov.py $(OUT) || rc=1; \
	echo "==> parliament over every IAM policy"; $(TOOLS_PY) security/iam_audit.py $(OUT) || rc=1; \
	echo "==> hadolint Dockerfile (warning and above)"; \
	  $(TOOLS_VENV)/bin/hadolint --no-color --failure-threshold warning Dockerfile && echo "hadolint: 0 findings at warning level or above" || rc=1; \
	echo "==> pip-audit over requirements-app.txt (the image's Python dependencies; skips when no database answers)"; \
	  $(TOOLS_PY) security/pip_audit.py requirements-app.txt || rc=1; \
	echo "==> gate tests: tests/security tests/badinput"; SECURITY_GATE=1 $(PY) -m pytest -q -rs tests/security tests/badinput || rc=1; \
	exit $$rc
