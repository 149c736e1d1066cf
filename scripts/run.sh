#!/usr/bin/env bash
# `make run`: install what is missing, start PostGIS and Mosquitto (private ones under .var/ unless
# DATABASE_URL / MQTT_URL are set), migrate, load districts and the demo park, start the web server in the
# background and wait until /healthz answers. Quick and data-preserving when run again. `make stop` undoes it.
set -euo pipefail
cd "$(dirname "$0")/.."
VAR=.var
PORT=${GEO_HTTP_PORT:-8000}

running() { [ -f "$VAR/run/$1.pid" ] && kill -0 "$(cat "$VAR/run/$1.pid")" 2>/dev/null; }
web_running() { running web; }

# start_bg NAME COMMAND...: run in the background with a pid file and a log, unless already running.
start_bg() {
  local name=$1; shift
  if running "$name"; then
    echo '{"event":"already running","process":"'"$name"'","pid":'"$(cat "$VAR/run/$name.pid")"'}' >&2
    return
  fi
  # A process group of its own (the web server's workers included), so that stop reaches all of it.
  setsid nohup "$@" >>"$VAR/log/$name.log" 2>&1 &
  echo $! > "$VAR/run/$name.pid"
}

stop_bg() {
  local name=$1
  if running "$name"; then
    local pid; pid=$(cat "$VAR/run/$name.pid")
    kill -TERM -- "-$pid" 2>/dev/null || kill "$pid"
    for _ in $(seq 100); do running "$name" || break; sleep 0.1; done
    # An open event stream keeps uvicorn's graceful shutdown waiting for ever: after 10 s, the group is killed, so
    # the next start finds its port free.
    if running "$name"; then kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid"; fi
    echo '{"event":"stopped","process":"'"$name"'"}' >&2
  fi
  rm -f "$VAR/run/$name.pid"
}

start() {
  scripts/bootstrap.sh
  MQTT_URL_GIVEN=${MQTT_URL:-}
  scripts/services.sh start
  eval "$(scripts/services.sh env)"
  mkdir -p "$VAR/run" "$VAR/log"
  .venv/bin/python manage.py migrate --noinput -v0
  .venv/bin/python manage.py load_regions -v0
  .venv/bin/python manage.py load_demo
  # The demo's device vendor (the simulator's chips) into the broker's password and ACL files, when the broker is ours.
  if [ -f "$VAR/mosquitto/mosquitto.conf" ] && [ -z "${MQTT_URL_GIVEN:-}" ]; then
    .venv/bin/python manage.py broker_auth --dir "$VAR/mosquitto"
  fi
  .venv/bin/python manage.py build_3dtiles -v0
  .venv/bin/python manage.py collectstatic --noinput -v0
  # The demo's media platform (demo/media_source.py, FFmpeg), unless a real one is configured (docs/video.md).
  if [ -z "${GEO_VIDEO_LIVE_URL:-}" ]; then
    local media_port=${GEO_MEDIA_PORT:-8090}
    if running media; then media_port=$(cat "$VAR/run/media.port"); else
      while (exec 3<>"/dev/tcp/127.0.0.1/$media_port") 2>/dev/null; do media_port=$((media_port + 1)); done
    fi
    echo "$media_port" > "$VAR/run/media.port"
    channels=$(.venv/bin/python -c 'import json,sys; print(",".join(json.load(open(sys.argv[1]))["channels"]))' "$VAR/demo/media.json")
    start_bg media .venv/bin/python -m demo.media_source --port "$media_port" --dir "$VAR/media" --record \
      --verify "http://127.0.0.1:$PORT/api/video/verify" --channels "$channels"
    export GEO_VIDEO_LIVE_URL="http://127.0.0.1:$media_port/live/{channel}.m3u8?token={token}"
    export GEO_VIDEO_RECORD_URL="http://127.0.0.1:$media_port/record/{channel}/{start}-{end}.m3u8?token={token}"
  fi
  # The city IoT platform's stand-in (demo/city_iot.py), pulled by the ingest worker, unless a real one is configured
  # (docs/city-iot.md). Its app secret is the deployment's own, kept under .var/demo/.
  if [ -z "${GEO_CITY_IOT_URL:-}" ]; then
    local city_port=${CITY_IOT_PORT:-8091}
    if running city_iot; then city_port=$(cat "$VAR/run/city_iot.port"); else
      while (exec 3<>"/dev/tcp/127.0.0.1/$city_port") 2>/dev/null; do city_port=$((city_port + 1)); done
    fi
    echo "$city_port" > "$VAR/run/city_iot.port"
    [ -s "$VAR/demo/city_iot.secret" ] || (umask 077; .venv/bin/python -c 'import secrets; print(secrets.token_hex(24))' > "$VAR/demo/city_iot.secret")
    export GEO_CITY_IOT_URL="http://127.0.0.1:$city_port" GEO_CITY_IOT_KEY=demo-service
    GEO_CITY_IOT_SECRET=$(cat "$VAR/demo/city_iot.secret"); export GEO_CITY_IOT_SECRET
    start_bg city_iot .venv/bin/python -m demo.city_iot --port "$city_port" --key demo-service --secret-file "$VAR/demo/city_iot.secret"
  fi
  start_bg web .venv/bin/uvicorn geo_core.asgi:application --host 127.0.0.1 --port "$PORT" --workers 2 --no-proxy-headers
  start_bg ingest .venv/bin/python manage.py ingest
  start_bg alarms .venv/bin/python manage.py alarms
  start_bg reports .venv/bin/python manage.py report_files --loop
  for _ in $(seq 100); do
    if curl -fsS "http://127.0.0.1:$PORT/healthz" -o "$VAR/run/healthz.json" 2>/dev/null; then
      # Moving data: people over the signed report API, welders over MQTT (rates: scripts/run.sh, SIM_ARGS).
      start_bg simulate .venv/bin/python manage.py simulate --url "http://127.0.0.1:$PORT" ${SIM_ARGS:-}
      echo "service up: http://127.0.0.1:$PORT/  (health: http://127.0.0.1:$PORT/healthz, admin: /admin/)"
      echo "moving data: simulator, ingest and alarm workers running (logs in $VAR/log/); demo report API keys in .var/demo/credentials.json"
      echo "alarms: http://127.0.0.1:$PORT/api/alarms/ and /api/alarms/stream with a token from .var/demo/users.json"
      cat "$VAR/run/healthz.json"; echo
      return
    fi
    web_running || { echo "web server exited; see $VAR/log/web.log" >&2; tail -n 20 "$VAR/log/web.log" >&2; exit 1; }
    sleep 0.2
  done
  echo "web server did not answer on port $PORT; see $VAR/log/web.log" >&2; exit 1
}

stop() {
  stop_bg city_iot
  stop_bg media
  stop_bg simulate
  stop_bg reports
  stop_bg alarms
  stop_bg ingest
  stop_bg web
  scripts/services.sh stop
}

status() {
  for name in web ingest alarms reports simulate media city_iot; do
    running "$name" && echo "$name: running (pid $(cat "$VAR/run/$name.pid"))" || echo "$name: stopped"
  done
  scripts/services.sh status
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
