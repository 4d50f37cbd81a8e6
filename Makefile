# The course's commands. `make course` and `make test` create .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

KERNEL_CONFIG := $(VENV)/etc/ipython/ipython_kernel_config.py

# Two pytest workers, a whole file (or notebook) each at a time, in the order of testpaths
# (notebooks first). One TensorFlow process keeps about 1.3 of 2 cores busy; two together finish
# the suite sooner (README, "Tests"). PARALLEL= runs it in one process.
PARALLEL ?= -n 2 --dist loadfile --no-loadscope-reorder

.PHONY: course test check lab slides system-data

course: $(STAMP) system-data   ## run every notebook, save models and build/results.json, export slides
	TF_CPP_MIN_LOG_LEVEL=1 $(BIN)/python scripts/build_course.py

test: $(STAMP) system-data     ## the whole suite: lint, unit tests, doctests, notebook smoke runs, nbval
	$(BIN)/ruff check .
	TF_CPP_MIN_LOG_LEVEL=1 $(BIN)/python -m pytest --nbval $(PARALLEL) --durations=30

check: $(STAMP)                ## everyday tier: lint, then unit tests and doctests without notebook runs or slow training
	$(BIN)/ruff check .
	TF_CPP_MIN_LOG_LEVEL=1 $(BIN)/python -m pytest -m "not slow" tests/ ganlib/

lab: $(STAMP)                  ## open JupyterLab on notebooks/
	$(BIN)/jupyter lab notebooks/ $$([ "$$(id -u)" = 0 ] && echo --allow-root)

slides: $(STAMP)               ## build/slides/: offline reveal.js decks (and PDFs with chromium) of notebooks/
	$(BIN)/python scripts/export_slides.py

system-data:                   ## full Fashion-MNIST and chromium from Debian, when root and apt-get can
	@bash scripts/install_system_data.sh

$(STAMP): requirements.txt pyproject.toml scripts/ipython_kernel_config.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt -e .
	mkdir -p $(dir $(KERNEL_CONFIG)) && cp scripts/ipython_kernel_config.py $(KERNEL_CONFIG)
	touch $@
