#!/usr/bin/env bash
# `make test`: install what is missing, start the private PostGIS and Mosquitto if needed, lint, run pytest.
# pytest-django creates its own test database (test_<name>) next to the service's; the service's data is untouched.
# Services this script had to start are stopped again at the end; ones already running are left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
was_running=$(scripts/services.sh status | grep -c running || true)
scripts/services.sh start
[ "$was_running" -gt 0 ] || trap 'scripts/services.sh stop' EXIT
eval "$(scripts/services.sh env)"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/python manage.py makemigrations --check --dry-run -v0
(cd web && npx --no-install eslint .)  # the pages' JavaScript (pinned ESLint, web/eslint.config.js)
node --test web/test/  # the pages' pure modules
.venv/bin/python -m pytest "$@"
