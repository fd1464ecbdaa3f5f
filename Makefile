# The two commands of the quick start are `make run` and `make test`.
.PHONY: run test check chaos deps db-stop clean

deps:
	@bash scripts/bootstrap.sh

run: deps
	.venv/bin/missions up

test: deps check
	.venv/bin/python -m pytest $(PYTEST_ARGS)

# Lint (ruff) and type check (mypy over app/), both configured in pyproject.toml; `make test` runs it first.
check: deps
	.venv/bin/ruff check app tests bench scripts
	.venv/bin/mypy

# Every reliability scenario, the long ones (marked chaos) included; the figures go to docs/reliability.md.
RELIABILITY_OUT ?= $${TMPDIR:-/tmp}/missions-reliability
chaos: deps
	rm -rf $(RELIABILITY_OUT)
	MISSIONS_RELIABILITY_OUT=$(RELIABILITY_OUT) .venv/bin/python -m pytest -m "" $(PYTEST_ARGS) \
	  tests/test_invariants.py tests/test_reliability_agents.py tests/test_reliability_faults.py \
	  tests/test_reliability_db_crash.py tests/test_api_fuzz.py tests/test_model_based.py
	.venv/bin/python scripts/reliability_report.py $(RELIABILITY_OUT) docs/reliability.md

db-stop: deps
	.venv/bin/missions db stop

clean: db-stop
	rm -rf .missions

# Benchmarks (bench/): each next to its baseline in the same run; writes docs/benchmarks.md.
# BENCH_ARGS e.g. "--scale 1000000 --sustain-seconds 300"; PYTHON defaults to the project's venv.
PYTHON ?= .venv/bin/python
.PHONY: bench bench-smoke

bench: deps
	$(PYTHON) -m bench.run --out docs/benchmarks.md $(BENCH_ARGS)

bench-smoke: deps
	$(PYTHON) -m bench.run --smoke --out $${TMPDIR:-/tmp}/benchmarks-smoke.md $(BENCH_ARGS)
