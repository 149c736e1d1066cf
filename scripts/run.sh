#!/usr/bin/env bash
# `make run`: install what is missing, start PostGIS and Mosquitto (private ones under .var/ unless
# DATABASE_URL / MQTT_URL are set), migrate, load districts and the demo park, start the web server in the
# background and wait until /healthz answers. Quick and data-preserving when run again. `make stop` undoes it.
set -euo pipefail
cd "$(dirname "$0")/.."
VAR=.var
PORT=${GEO_HTTP_PORT:-8000}
WEB_PID=$VAR/run/web.pid

web_running() { [ -f "$WEB_PID" ] && kill -0 "$(cat "$WEB_PID")" 2>/dev/null; }

start() {
  scripts/bootstrap.sh
  scripts/services.sh start
  eval "$(scripts/services.sh env)"
  mkdir -p "$VAR/run" "$VAR/log"
  .venv/bin/python manage.py migrate --noinput -v0
  .venv/bin/python manage.py load_regions -v0
  .venv/bin/python manage.py load_demo
  .venv/bin/python manage.py collectstatic --noinput -v0
  if web_running; then
    echo '{"event":"web already running","pid":'"$(cat "$WEB_PID")"'}' >&2
  else
    nohup .venv/bin/uvicorn geo_core.asgi:application --host 127.0.0.1 --port "$PORT" --workers 2 \
      >>"$VAR/log/web.log" 2>&1 &
    echo $! > "$WEB_PID"
  fi
  for _ in $(seq 100); do
    if curl -fsS "http://127.0.0.1:$PORT/healthz" -o "$VAR/run/healthz.json" 2>/dev/null; then
      echo "service up: http://127.0.0.1:$PORT/  (health: http://127.0.0.1:$PORT/healthz, admin: /admin/)"
      cat "$VAR/run/healthz.json"; echo
      return
    fi
    web_running || { echo "web server exited; see $VAR/log/web.log" >&2; tail -n 20 "$VAR/log/web.log" >&2; exit 1; }
    sleep 0.2
  done
  echo "web server did not answer on port $PORT; see $VAR/log/web.log" >&2; exit 1
}

stop() {
  if web_running; then
    kill "$(cat "$WEB_PID")"; rm -f "$WEB_PID"; echo '{"event":"web stopped"}' >&2
  fi
  scripts/services.sh stop
}

status() {
  web_running && echo "web: running on $PORT (pid $(cat "$WEB_PID"))" || echo "web: stopped"
  scripts/services.sh status
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
