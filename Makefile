# The course's commands. `make course` and `make test` create .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: course test lab system-data

course: $(STAMP) system-data   ## run every notebook, save models and build/results.json
	TF_CPP_MIN_LOG_LEVEL=1 $(BIN)/python scripts/build_course.py

test: $(STAMP) system-data     ## the whole suite: unit tests, notebook smoke runs, nbval
	TF_CPP_MIN_LOG_LEVEL=1 $(BIN)/python -m pytest --nbval

lab: $(STAMP)                  ## open JupyterLab on notebooks/
	$(BIN)/jupyter lab notebooks/

system-data:                   ## full Fashion-MNIST from Debian, when root and apt-get can
	@bash scripts/install_system_data.sh

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt -e .
	touch $@
