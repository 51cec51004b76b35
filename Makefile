# The two set-up commands of README.md: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: demo test bench install clean messages

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The browser tests' accessibility checker (axe-core), from the npm registry, pinned by package-lock.json.
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $(NODE_STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) scripts/demo.py

test: $(STAMP) $(NODE_STAMP)
	bash scripts/run-tests

# Benchmarks (numbers, not tests): needs PostgreSQL on 127.0.0.1:5432; SCALE=N users (default 1000);
# BASELINE=REV measures that revision's server in turn with this one.
bench: $(STAMP)
	SCALE=$(or $(SCALE),1000) BASELINE=$(BASELINE) $(PY) bench/run.py

# After changing a translatable string: collect them all, translate the new ones in
# locale/*/LC_MESSAGES/django.po, then run it again to compile.
messages: $(STAMP)
	$(PY) scripts/messages.py

clean:
	rm -rf $(VENV) node_modules .pytest_cache staticfiles
