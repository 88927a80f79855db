# The two commands of the README: `make run` and `make test`. Both are idempotent.
.PHONY: run test install lint format bench demo worker

HOST ?= 127.0.0.1
PORT ?= 8000
MANAGE = .venv/bin/python manage.py

install:
	@scripts/bootstrap.sh

run: install
	@# One screen: the set-up steps print only what matters (or an error).
	@$(MANAGE) migrate --no-input --verbosity 0
	@$(MANAGE) createcachetable --verbosity 0
	@$(MANAGE) load_demo
	@echo ""
	@echo "Parallax is at http://$(HOST):$(PORT)/  (another port: make run PORT=8001)"
	@echo "Create the first editor with:  .venv/bin/python manage.py createuser alice --role editor"
	@echo "Stop with Ctrl-C. The server reloads when a file changes."
	@echo ""
	@# The task worker runs beside the web server and stops with it. `serve` is
	@# runserver without its start-up banner (core/management/commands/serve.py).
	@trap 'kill 0' EXIT INT TERM; \
	  $(MANAGE) db_worker --queue-name default & \
	  $(MANAGE) serve $(HOST):$(PORT)

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
