.PHONY: run test test-chaos test-fast demo lint lint-imports fmt typecheck

# The app and its worker on the embedded defaults (SQLite, django-q2's ORM broker).
run:
	scripts/run.sh

# The whole test suite.
test:
	scripts/test.sh

# Workers killed at seeded points of every stage; the pipeline must recover.
test-chaos:
	scripts/test.sh -m chaos

# Every test that needs no TensorFlow training, browser, SSH server, database server or worker
# process: a couple of minutes, for the edit-test loop.
test-fast:
	scripts/bootstrap.sh
	.venv/bin/python -m pytest -q -p no:cacheprovider --durations=10 \
		-m "not (tensorflow or slow or browser or ssh or scaleout or worker or chaos)"

# Lint, formatting, the layers' import rules and the types; `make fmt` fixes what can be fixed.
lint:
	scripts/bootstrap.sh
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	$(MAKE) lint-imports
	$(MAKE) typecheck

fmt:
	scripts/bootstrap.sh
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

# Types of every app's engine/ and services/ (settings in pyproject.toml).
typecheck:
	scripts/bootstrap.sh
	.venv/bin/mypy

# The whole pipeline on a small real epoch (run `make run` in another terminal first).
demo:
	.venv/bin/python manage.py demo

# The floors between the apps and the layers inside each (contracts in .importlinter).
lint-imports:
	.venv/bin/lint-imports
