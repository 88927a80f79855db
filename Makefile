# The two commands of the README: `make run` and `make test`. Both are idempotent.
.PHONY: run test install lint format bench demo worker

HOST ?= 127.0.0.1
PORT ?= 8000
MANAGE = .venv/bin/python manage.py

install:
	@scripts/bootstrap.sh

run: install
	$(MANAGE) migrate --no-input
	$(MANAGE) createcachetable
	$(MANAGE) load_demo
	@echo ""
	@echo "Parallax is at http://$(HOST):$(PORT)/"
	@echo "Create the first editor with:  .venv/bin/python manage.py createuser alice --role editor"
	@echo ""
	@# The task worker runs beside the web server and stops with it.
	@trap 'kill 0' EXIT INT TERM; \
	  $(MANAGE) db_worker --queue-name default & \
	  $(MANAGE) runserver $(HOST):$(PORT)

test:
	@scripts/test.sh

lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy .

format: install
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

bench: install
	@scripts/bench.sh
