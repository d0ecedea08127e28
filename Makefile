# The commands a newcomer needs. Everything runs from the project's own virtual environment.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench faults soak generated-input token rebuild-read-models rotate-fin-keys clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

## run: start PostgreSQL and nats-server (unless DATABASE_URL / NATS_URL are set), migrate, serve all four services
run: $(STAMP)
	$(BIN)/dayaq run

## test: lint, types, import rules, then the whole test suite against real PostgreSQL and NATS
test: $(STAMP) lint
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy shared services tests
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## bench: benchmarks (all, or BENCH="request_path ..."; QUICK=1 for CI's small sizes; PROFILE=1 adds
## py-spy profiles of the HTTP loads), each a ratio to a floor measured in the same run; writes
## bench/results.json and bench/results.md
bench: $(STAMP)
	$(BIN)/python -m tests.bench $(BENCH) $(if $(QUICK),--quick) $(if $(PROFILE),--profile)

## faults: JOURNEYS (1000) journeys while each service, nats-server and PostgreSQL go down in turn
faults: $(STAMP)
	$(BIN)/python -m tests.faults --journeys $(or $(JOURNEYS),1000) $(if $(CONCURRENCY),--concurrency $(CONCURRENCY))

## soak: the journey at a steady rate for SOAK_MINUTES (30) at SOAK_RATE journeys a minute (20): each
## service's memory and connections before and after, errors, p50/p99 per route; fails on errors or growth
SOAK_MINUTES ?= 30
SOAK_RATE ?= 20
soak: $(STAMP)
	$(BIN)/python -m tests.soak --minutes $(SOAK_MINUTES) --rate $(SOAK_RATE)

## generated-input: schemathesis on every operation of the four services, 50 examples an operation
generated-input: $(STAMP)
	DAYAQ_GENERATED_EXAMPLES=$(or $(EXAMPLES),50) $(BIN)/pytest tests/api/test_generated_input.py

## token: print a development token, e.g. make token ROLE=case_officer
token: $(STAMP)
	$(BIN)/dayaq token --role $(or $(ROLE),admin)

## rebuild-read-models: empty monitoring's read models and replay every stream into them (MONITORING_* settings)
rebuild-read-models: $(STAMP)
	$(BIN)/python -m monitoring.readmodels.rebuild

## rotate-fin-keys: re-encrypt every FIN under the current INTAKE_FIN_ENCRYPTION_KEY (INTAKE_* settings)
rotate-fin-keys: $(STAMP)
	$(BIN)/python -m intake.applicants.rotate

clean:
	rm -rf $(VENV) .dayaq .mypy_cache .pytest_cache .ruff_cache
