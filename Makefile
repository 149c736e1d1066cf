# The two commands of the README: `make run` and `make test`. Both install what is missing first.
.PHONY: run test stop status logs lint bootstrap

run:
	@scripts/run.sh start

test:
	@scripts/test.sh

stop:
	@scripts/run.sh stop

status:
	@scripts/run.sh status

logs:
	@tail -n 20 -f .var/log/web.log .var/log/ingest.log .var/log/simulate.log

lint:
	@.venv/bin/ruff check . && .venv/bin/ruff format --check .

bootstrap:
	@scripts/bootstrap.sh
