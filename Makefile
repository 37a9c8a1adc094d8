# The two commands of the README: `make demo` and `make test`.
# Needs Python 3.11+ and make; everything else goes into .venv.
SHELL := /bin/bash
PYTHON ?= $(shell for p in python3.14 python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test mutation soak lab course student-lab hub notebooks bench bench-selfcheck bench-concurrency screenshots clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: Python 3.11 or newer is needed (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,cluster,lab,hub]'
	@# Bytecode for our own modules (an editable install has none; with PYTHONDONTWRITEBYTECODE set,
	@# every grading process would compile them again: 50 ms each).
	$(BIN)/python -m compileall -q graders servers
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m graders demo

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Generated mutants (tests/mutants/generate.py, issue 21): cosmic-ray's operators applied to every
# correct server of the corpus, each mutant graded by the real grader, two at a time (the machine's
# two cores).  Writes tests/mutants/generated/ and the score table in docs/spec_coverage.md.
# About 31 minutes (1851 s for 929 mutants, machine shared); new survivors must then be judged
# in tests/mutants/generated/judged.toml.
mutation: $(STAMP)
	time $(BIN)/python tests/mutants/generate.py $(MUTATION_ARGS)

# Determinism soak: the whole sample corpus graded 20 times idle and 20 times with the CPU saturated.
soak: $(STAMP)
	GRADERS_DETERMINISM_RUNS=20 $(BIN)/python -m pytest tests/test_determinism.py -s $(PYTEST_ARGS)

# The student workbook.  Started from notebooks/ (a terminal opens where the notebooks are) with
# this venv's bin/ first on PATH (nbgrader's extensions run `alembic`), also in its terminals
# (graders/course/lab_config.py: `graders check ...` works there).  As root (a container, a course VM)
# Jupyter refuses to start without --allow-root: added when `id -u` is 0.
ALLOW_ROOT = $(if $(filter 0,$(shell id -u)),--allow-root)
lab: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[lab]'
	cd notebooks && PATH="$(abspath $(BIN)):$$PATH" $(abspath $(BIN))/jupyter lab \
		--config=$(abspath graders/course/lab_config.py) $(ALLOW_ROOT) $(LAB_ARGS)

# The instructor's course (docs/course.md): Formgrader, the exchange, exports; JupyterLab rooted at
# $(COURSE)/instructor.  Students never see it: they work in their own folders (or `make lab`).
# Refuses (and says how to rebuild .venv) when other users could not run this environment's Python.
COURSE ?= build/course
COURSE_ARGS ?=
course: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[lab]'
	$(BIN)/python -m graders course init $(COURSE) --lab $(COURSE_ARGS)

# A student's JupyterLab without the hub, on the current folder (run it as the student, in their
# home; the Assignments tab and Validate find the course): make student-lab COURSE=DIR
student-lab: $(STAMP)
	$(BIN)/python -m graders course student-lab $(abspath $(COURSE))

# A JupyterHub for a class (graders/course/hub.py, docs/hub.md): the course in
# $(COURSE), local Unix users log in with their passwords.  As root:
#   make hub INSTRUCTOR=teacher STUDENTS="alice bob" [HUB_PORT=8000] [HUB_IP=127.0.0.1]
INSTRUCTOR ?= $(SUDO_USER)
STUDENTS ?=
HUB_PORT ?= 8000
HUB_IP ?= 127.0.0.1
hub: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[lab,hub]'
	$(BIN)/python -m graders.course.hub $(COURSE) --ip $(HUB_IP) --port $(HUB_PORT) \
		$(addprefix --instructor ,$(INSTRUCTOR)) $(addprefix --student ,$(STUDENTS)) $(COURSE_ARGS)

notebooks: $(STAMP)
	$(BIN)/python -m graders release

bench: $(STAMP)
	$(BIN)/python benchmarks/batch.py

bench-selfcheck: $(STAMP)
	$(BIN)/python benchmarks/selfcheck.py

bench-concurrency: $(STAMP)
	$(BIN)/python benchmarks/concurrency.py

# The README's pictures (docs/img/diagram.png, report.png), taken by the browser tests (Debian's chromium).
screenshots: $(STAMP)
	GRADERS_SCREENSHOTS=docs/img $(BIN)/python -m pytest tests/test_views.py tests/test_autograde.py \
		-k "readme or class_report" $(PYTEST_ARGS)

clean:
	rm -rf build .pytest_cache
