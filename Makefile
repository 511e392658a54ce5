# Two commands matter: `make demo` and `make test`. Both bootstrap .venv/ themselves.
# The install step is skipped when the lock file and pyproject.toml are unchanged: the
# stamp file's name carries their hash.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
LOCK := requirements.lock
# requirements-core.lock and requirements-all.lock are the same pins cut to the core
# install and to greentic-iac[all] (see docs/ci.md, bench/install.py).
# plugins/greentic-iac-gcp is a separate distribution (the Cloud Run deployer) installed
# editable like the acme fixture; its third-party pins (pulumi-gcp) are in the dev lock.
GCP_PLUGIN := plugins/greentic-iac-gcp
LOCK_HASH := $(shell cat $(LOCK) pyproject.toml tests/fixtures/acme_vault_plugin/pyproject.toml $(GCP_PLUGIN)/pyproject.toml 2>/dev/null | sha256sum | cut -c1-16)
STAMP := $(VENV)/.installed-$(LOCK_HASH)

.PHONY: all venv test lint typecheck pytest demo bench soak lock golden clean

all: test

$(STAMP): $(LOCK) pyproject.toml $(GCP_PLUGIN)/pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "greentic-iac needs Python 3.11+, found " + sys.version.split()[0])'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	@echo "installing pinned dependencies from $(LOCK) into $(VENV)/"
	@$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python $(LOCK)
	@$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e . -e tests/fixtures/acme_vault_plugin -e $(GCP_PLUGIN)
	@rm -f $(VENV)/.installed-*
	@touch $@

venv: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check greentic_iac tests bench plugins
	$(BIN)/ruff format --check greentic_iac tests bench plugins
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy

# Two workers (one per core on CI), a test file per worker at a time so a module's
# servers (moto_server) start once; PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= 2
pytest: $(STAMP)
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

test: lint typecheck pytest

demo: $(STAMP)
	@$(BIN)/python -m greentic_iac.demo

bench: $(STAMP)
	@$(BIN)/python bench/run_all.py

# The long runs: lifecycle walks and fuzzing with many more hypothesis examples
# (tests read GREENTIC_SOAK through tests/conftest.py:soak_examples).
soak: $(STAMP)
	GREENTIC_SOAK=1 $(BIN)/pytest -q -m soak $(PYTEST_ARGS)

# Re-resolve the lock files from pyproject.toml (needs the network to PyPI). The core and
# [all] locks are constrained by the dev lock, so all three agree on every shared pin. The
# dev lock also pins the plug-ins' dependencies (their greentic-iac is this checkout:
# [tool.uv.sources] in their pyproject), the core and [all] locks never do.
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml $(GCP_PLUGIN)/pyproject.toml --extra dev --python-version 3.11 --quiet --no-emit-package greentic-iac -o $(LOCK)
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 --quiet -c $(LOCK) -o requirements-core.lock
	$(BIN)/uv pip compile pyproject.toml --extra all --python-version 3.11 --quiet -c $(LOCK) -o requirements-all.lock

# Regenerate the golden files (target compilers and previews); review the diff before committing.
golden: $(STAMP)
	GREENTIC_REGENERATE_GOLDEN=1 $(BIN)/pytest -q tests/targets tests/unit/preview $(GCP_PLUGIN)/tests

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
