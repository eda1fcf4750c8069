# The commands the README names. Each one sets up what it needs first:
# Debian packages (when run as root), then a virtual environment in .venv.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test test-slow lint bench bench-monkey screenshot package clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	bash packaging/install-system-deps.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m vanishgui $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

# The fast suite: lint, layer contracts, types, and every test not marked slow, on two
# workers (a test file stays on one worker). PYTEST_ARGS="-m 'not slow and not packaging'"
# also skips the PyInstaller and wheel builds.
test: lint
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -m 'not slow' -n 2 --dist loadfile \
		$(PYTEST_ARGS)

# The rest, one at a time (timing tests must not share the machine with another worker):
# responsiveness while training, the frozen app.
test-slow: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -m slow $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python tests/bench/bench_core.py
	$(BIN)/python tests/bench/bench_cures.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python tests/bench/bench_diagram.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python tests/bench/bench_training_gui.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python tests/bench/bench_long_run.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python tests/bench/bench_redraw.py

# The monkey for 10,000 actions (about 25 minutes here); VANISHGUI_MONKEY_SEED=N for
# another sequence, VANISHGUI_MONKEY_ACTIONS=N for another length.
bench-monkey: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python tests/bench/bench_monkey.py

package: $(STAMP)
	PYTHON=$(BIN)/python bash packaging/build.sh

# The README's pictures, exactly as they were made.
screenshot: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m vanishgui --screenshot docs/screenshot.png \
		--at backward:6 --select 1:1:1
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m vanishgui --screenshot docs/plots.png \
		resources/examples/deep-sigmoid-circles.json --at trained:200 --plots
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m vanishgui --screenshot docs/compare.png \
		resources/examples/deep-chain-sigmoid.json --compare activation:sigmoid,relu \
		--at trained:300 --size 1920x1080 --projector

clean:
	rm -rf $(VENV) build dist *.egg-info
