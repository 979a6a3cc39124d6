.PHONY: run test test-chaos demo lint-imports

# The app and its worker on the embedded defaults (SQLite, django-q2's ORM broker).
run:
	scripts/run.sh

# The whole test suite.
test:
	scripts/test.sh

# Workers killed at seeded points of every stage; the pipeline must recover.
test-chaos:
	scripts/test.sh -m chaos

# The whole pipeline on a small real epoch (run `make run` in another terminal first).
demo:
	.venv/bin/python manage.py demo

# The floors between the apps and the layers inside each (contracts in .importlinter).
lint-imports:
	.venv/bin/lint-imports
