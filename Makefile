# Two entry points do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SAM2_STAMP := $(VENV)/.sam2-meta
DEMO_OUT ?= demo-output

# pyproject.toml has compatible ranges; constraints.txt the exact versions every install here uses.
PIP := $(PY) -m pip install -q -c constraints.txt

.PHONY: demo test venv sam2-meta constraints clean

# torch/torchvision are installed first and pinned: pip takes them from this machine's disk.
$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PIP) torch==2.14.1 torchvision==0.29.1
	$(PIP) -e ".[all,dev]"
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/intergeneval demo --out $(DEMO_OUT)

# The tests also cover the optional `sam2-meta` tracker, so its package is installed first.
test: $(STAMP) $(SAM2_STAMP)
	$(PY) -m pytest -q

# Meta's SAM2 code for the optional `sam2-meta` tracker (sdist only; never let it pull another torch).
sam2-meta: $(SAM2_STAMP)

$(SAM2_STAMP): $(STAMP)
	$(PY) -m pip install -q "setuptools>=77" wheel
	SAM2_BUILD_CUDA=0 $(PIP) --no-deps --no-build-isolation sam2==1.1.0
	$(PIP) hydra-core iopath
	touch $(SAM2_STAMP)

# After a deliberate upgrade in .venv (and a passing `make test`): write its versions as the new pins.
constraints: $(STAMP)
	{ sed -n '1,2p' constraints.txt; $(PY) -m pip list --format=freeze --exclude-editable \
	  | grep -v -i -E '^(pip|setuptools|wheel|intergeneval)=='; } > constraints.txt.new
	mv constraints.txt.new constraints.txt

clean:
	rm -rf $(VENV) $(DEMO_OUT)
