# Two entry points for a fresh machine: `make demo` and `make test`. Each creates .venv itself.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export DO_NOT_TRACK := 1

.PHONY: demo test lint install clean

$(VENV)/.installed: pyproject.toml constraints.txt scripts/install-system-packages.sh
	scripts/install-system-packages.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# One pip command with the constraints: pip otherwise reaches for dbt-core 1.12.
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

install: $(VENV)/.installed

demo: install
	$(BIN)/p402-monitor demo

lint: install
	$(BIN)/sqlfluff lint models tests/singular

# Every test: DuckDB, a throwaway PostgreSQL server, and a local Spark session.
test: lint
	P402_SPARK=1 SPARK_LOCAL_IP=127.0.0.1 scripts/with-postgres.sh $(BIN)/pytest

clean:
	rm -rf $(VENV) target logs demo
