# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum < requirements.txt | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000
# Test processes: most of the suite waits on the emulator, so more processes than cores pay off (0 = one process)
TEST_WORKERS ?= 4

.PHONY: run test venv

$(STAMP): requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	@DEBUG=1 $(PY) manage.py migrate --noinput -v 0
	@DEBUG=1 $(PY) manage.py sync_content
	@echo ""
	@echo "  Serverless Academy is running at http://$(HOST):$(PORT)/"
	@echo "  Create an instructor (admin) account in another terminal with:"
	@echo "      $(PY) manage.py createsuperuser"
	@echo "  then open http://$(HOST):$(PORT)/admin/   (Ctrl-C stops the site)"
	@echo ""
	@DEBUG=1 $(PY) manage.py run_site --host $(HOST) --port $(PORT)

# worksteal: a process that runs out of tests takes pending ones from the others (the longest lab
# tests take 1 to 2 minutes each); --durations lists the slowest, to see where the time goes.
test: $(STAMP)
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist worksteal --durations=15
