# Two entry points do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_OUT ?= demo-output

.PHONY: demo test venv sam2-meta browser postgres clean

# torch/torchvision are installed first and pinned: pip takes them from this machine's disk.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.14.1 torchvision==0.29.1
	$(PY) -m pip install -q -e ".[all,dev]"
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/intergeneval demo --out $(DEMO_OUT)

test: $(STAMP)
	$(PY) -m pytest -q

# Meta's SAM2 code for the optional `sam2-meta` tracker (sdist only; never let it pull another torch).
sam2-meta: $(STAMP)
	SAM2_BUILD_CUDA=0 $(PY) -m pip install -q --no-deps --no-build-isolation sam2==1.1.0
	$(PY) -m pip install -q hydra-core iopath

clean:
	rm -rf $(VENV) $(DEMO_OUT)
