# The two set-up commands of README.md: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test install migrate clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	DATABASE_URL= $(PY) manage.py migrate --noinput
	DATABASE_URL= $(PY) manage.py ensure_demo_user
	@echo "Identity provider: http://localhost:8000   admin console: http://localhost:8000/admin/"
	DATABASE_URL= $(PY) manage.py runserver localhost:8000

test: $(STAMP)
	bash scripts/run-tests

clean:
	rm -rf $(VENV) .pytest_cache staticfiles
