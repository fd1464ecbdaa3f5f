# The two commands of the quick start are `make run` and `make test`.
.PHONY: run test deps db-stop clean

deps:
	@bash scripts/bootstrap.sh

run: deps
	.venv/bin/missions up

test: deps
	.venv/bin/python -m pytest $(PYTEST_ARGS)

db-stop: deps
	.venv/bin/missions db stop

clean: db-stop
	rm -rf .missions
