#!/usr/bin/env bash
# `make test`: install what is missing, start the private PostGIS and Mosquitto if needed, lint, run pytest.
# pytest-django creates its own test database (test_<name>) next to the service's; the service's data is untouched.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
scripts/services.sh start
eval "$(scripts/services.sh env)"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/python manage.py makemigrations --check --dry-run -v0
exec .venv/bin/python -m pytest "$@"
