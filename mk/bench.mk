##@ Benchmarks

# Benchmarks print numbers side by side with a baseline; they are not tests and never fail
# on speed. `make bench` runs every benchmark: each feature area adds its own target as a
# prerequisite with another double-colon rule, e.g. `bench:: bench-foo` in mk/foo.mk.

# Runs per variant of bench-synth (the medians are compared; eager takes ~14 s per run).
BENCH_REPEAT ?= 3

.PHONY: bench
bench:: bench-synth ## Run every benchmark (prints numbers; not a test)

.PHONY: bench-synth
bench-synth: $(VENV_STAMP) $(KERNEL_NODE_STAMP) ## Synth all environments via the fast import vs a plain eager import: time, peak RSS, ratio
	@$(PY) bench/synth_bench.py --repeat $(BENCH_REPEAT)
