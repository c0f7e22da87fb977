# Two entry points, each doing its own set-up in .venv:
#   make demo   runs the main job: the seed document's snippets and its MNIST example
#               (examples/mnist.py, only the imports changed), on MNIST in ./data/MNIST/raw
#   make test   runs the whole test suite (compat tests against real torch 2.13 included)
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

$(BIN)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

venv: $(BIN)/.installed

demo: venv
	$(BIN)/python examples/seed_snippets.py
	$(BIN)/python examples/prepare_mnist.py
	$(BIN)/python examples/mnist.py

test: venv
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

opinfo: venv
	$(BIN)/python compat_tests/opinfo_sweep.py

bench: venv
	$(BIN)/python benchmarks/bench_ops.py
	$(BIN)/python benchmarks/bench_mlp_step.py

.PHONY: venv demo test opinfo bench
