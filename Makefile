# Two entry points: `make demo` and `make test`. Both create .venv and install the
# project into it on first use (and again whenever pyproject.toml changes).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test release

demo: $(STAMP)
	$(VENV)/bin/hw demo

# Two processes (this kind of runner has 2 cores). --dist loadscope keeps each test file in one
# process (each class, where a file has classes), so a session-scoped graded batch (a homework's
# corpus, the hostile corpus) is graded once: tests/test_discrimination.py has one class per
# homework, so the homeworks' batches are shared between the two processes. (loadgroup would
# be more explicit, but xdist 3.8 cannot tag pytest 9.2's node ids.)
test: $(STAMP)
	$(PY) -m pytest -n 2 --dist loadscope

release: $(STAMP)
	$(VENV)/bin/hw release

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $(STAMP)
