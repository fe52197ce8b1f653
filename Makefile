# osteometals: make book | make test | make lab [CHAPTER=NN] | make pdf | make bench
#              make lock | make test-latest
#
# Installs come from the lock (requirements-py311.lock, every package pinned
# with its hashes); `make lock` recompiles it from pyproject.toml, keeping the
# pins that still fit (`make lock UPGRADE=1` moves every pin to the newest
# release) and rewrites environment.yml from it.
#
# The NHANES mirror: if NHANES_MIRROR is not set and ../shared/data/nhanes
# exists (a folder laid out like the CDC files: raw/, other/), it is used
# before any download.

SHELL   := /bin/bash
PYTHON  ?= python3
VENV    ?= .venv
PY      := $(VENV)/bin/python
CLI     := $(VENV)/bin/osteometals
STAMP   := $(VENV)/.installed
LOCK    := requirements-py311.lock
# INSTALL=lock (default): the pinned versions. INSTALL=latest: the newest
# releases pyproject.toml's ranges allow (the canary, make test-latest).
INSTALL ?= lock

ifndef NHANES_MIRROR
ifneq ($(wildcard ../shared/data/nhanes/raw),)
export NHANES_MIRROR := $(abspath ../shared/data/nhanes)
endif
endif

.PHONY: install data book html pdf test lint lab bench lock test-latest clean

$(STAMP): $(LOCK) pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
ifeq ($(INSTALL),latest)
	$(PY) -m pip install --quiet -e '.[book,dev]'
else
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
endif
	$(PY) -m pip check
	touch $(STAMP)

install: $(STAMP)

data: install
	$(CLI) data

book: data
	$(CLI) book

html: install
	$(CLI) book --render-only

pdf: install
	$(CLI) pdf

test: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest

lint: install
	$(VENV)/bin/ruff check .

# make lab: JupyterLab on book/. make lab CHAPTER=03 [PARAMS='-p weighted false']:
# that chapter as a notebook with the parameters of its page (the box at its top).
lab: install
	$(CLI) lab $(CHAPTER) $(PARAMS)

bench: install
	$(CLI) bench

# Recompile the lock from pyproject.toml, then environment.yml from the lock.
lock: install
	$(VENV)/bin/uv pip compile pyproject.toml --extra book --extra dev \
	  --generate-hashes --python-version 3.11 --quiet $(if $(UPGRADE),--upgrade) -o $(LOCK)
	$(PY) -m osteometals.book.lockfile

# The canary (not part of CI): a throw-away copy of this checkout with a
# fresh virtual environment of the newest releases pyproject.toml allows,
# then the whole book and the suite, so a release that breaks the book shows
# before the lock is bumped. The newest versions are listed at the end.
test-latest:
	d=$$(mktemp -d) && echo "canary in $$d" && mkdir "$$d/tree" && \
	git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$$d/tree" && \
	$(MAKE) -C "$$d/tree" INSTALL=latest VENV="$$d/venv" NHANES_MIRROR="$(NHANES_MIRROR)" \
	  OSTEOMETALS_CACHE="$$d/cache" book test && \
	echo "canary passed in $$d; the newest releases against the lock:" && \
	diff <(grep -oE '^[A-Za-z0-9._-]+==[^ ]+' $(LOCK) | tr A-Z a-z | sort) \
	     <("$$d/venv/bin/python" -m pip freeze --exclude-editable | tr A-Z a-z | sort); true

clean:
	rm -rf book/_build runs
