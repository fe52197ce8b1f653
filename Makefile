# osteometals: make book | make test | make lab | make pdf | make bench
#
# The NHANES mirror: if NHANES_MIRROR is not set and ../shared/data/nhanes
# exists (a folder laid out like the CDC files: raw/, other/), it is used
# before any download.

VENV    := .venv
PY      := $(VENV)/bin/python
CLI     := $(VENV)/bin/osteometals
STAMP   := $(VENV)/.installed

ifndef NHANES_MIRROR
ifneq ($(wildcard ../shared/data/nhanes/raw),)
export NHANES_MIRROR := $(abspath ../shared/data/nhanes)
endif
endif

.PHONY: install data book html pdf test lint lab bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
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

lab: install
	$(VENV)/bin/jupyter lab book

bench: install
	$(CLI) bench

clean:
	rm -rf book/_build runs
