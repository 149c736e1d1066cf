#!/usr/bin/env bash
# Start/stop the project's private PostgreSQL+PostGIS cluster and Mosquitto broker under .var/.
# Used only when DATABASE_URL / MQTT_URL are not set; prints the URLs to use (`eval "$(scripts/services.sh env)"`).
#   scripts/services.sh start|stop|status|env
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VAR="$ROOT/.var"
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_HOME="$VAR/pg"
# Started by root, the cluster runs as `postgres`, which must be able to reach .var/pg. A clone inside a private
# folder (e.g. /root) is not reachable: the cluster then lives under /var/lib/postgresql, linked from .var/pg.
if [ "$(id -u)" -eq 0 ] && [ ! -L "$PG_HOME" ] && [ ! -d "$PG_HOME/data" ]; then
  mkdir -p "$VAR"
  if ! runuser -u postgres -- test -x "$VAR" 2>/dev/null; then
    outside="/var/lib/postgresql/geoservice-$(printf '%s' "$ROOT" | sha1sum | cut -c1-12)"
    mkdir -p "$outside" && chown postgres: "$outside"
    ln -sfn "$outside" "$PG_HOME"
  fi
fi
[ -L "$PG_HOME" ] && PG_HOME=$(readlink -f "$PG_HOME")  # postgres must not have to pass through the link
PG_DATA="$PG_HOME/data"
PG_RUN="$PG_HOME/run"
MQ_DIR="$VAR/mosquitto"
DB_NAME=${DB_NAME:-geoservice}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The port of a private service: $PG_PORT / $MQTT_PORT when set; the live one when ours runs; else the one
# recorded at the last start if free; else the first free one from the default up (so a service left running by
# someone else on the default port never blocks us).
choose_port() {  # name default live-port-or-empty
  local var=$1 default=$2 live=$3 file="$VAR/$1.port" p
  if [ -n "${!var:-}" ]; then echo "${!var}"; return; fi
  if [ -n "$live" ]; then echo "$live"; return; fi
  if [ -f "$file" ] && ! port_busy "$(cat "$file")"; then cat "$file"; return; fi
  p=$default
  while port_busy "$p"; do p=$((p + 1)); done
  mkdir -p "$VAR"; echo "$p" > "$file"; echo "$p"
}

log() { printf '{"event":"services","%s":"%s"}\n' "$1" "$2" >&2; }

# initdb and postgres refuse to run as root: run them as the `postgres` system user then.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

pg_running() { [ -f "$PG_DATA/postmaster.pid" ] && as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; }

pg_start() {
  mkdir -p "$PG_HOME/" "$VAR/log"
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$PG_HOME/"; chmod 755 "$VAR"; fi
  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    log pg "initdb $PG_DATA"
    as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    cat >> "$PG_DATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_RUN'
shared_buffers = 512MB
work_mem = 32MB
maintenance_work_mem = 256MB
max_connections = 200
fsync = on
synchronous_commit = off
wal_compression = on
max_wal_size = 4GB
checkpoint_timeout = 15min
logging_collector = off
CONF
  fi
  as_pg mkdir -p "$PG_RUN"
  if pg_running; then log pg "already running on $PG_PORT"; return; fi
  log pg "start on 127.0.0.1:$PG_PORT"
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_HOME/server.log" -o "-p $PG_PORT" -w -t 60 start >/dev/null
  "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$DB_NAME'" \
    | grep -q 1 || "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres "$DB_NAME"
}

pg_stop() {
  if pg_running; then log pg stop; as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null; fi
}

mq_pid() { cat "$MQ_DIR/mosquitto.pid" 2>/dev/null; }
mq_running() { local p; p=$(mq_pid) && [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

# The broker knows the service's own user (reads every device topic) and, once `manage.py broker_auth` has run,
# each device vendor (publishes its own devices' topics only); nobody else may connect (geo_core/ingest/vendors.py).
MQ_USER=geoservice
mq_secret() {
  if [ ! -s "$MQ_DIR/service.secret" ]; then
    mkdir -p "$MQ_DIR"
    (umask 077; head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' > "$MQ_DIR/service.secret")
  fi
  cat "$MQ_DIR/service.secret"
}

mq_start() {
  if mq_running; then log mqtt "already running on $MQTT_PORT"; return; fi
  mkdir -p "$MQ_DIR/data"
  if [ ! -s "$MQ_DIR/passwd" ]; then  # the service's user only, until broker_auth writes the vendors in
    rm -f "$MQ_DIR/passwd"
    (umask 077; mosquitto_passwd -c -b "$MQ_DIR/passwd" "$MQ_USER" "$(mq_secret)")
    printf 'user %s\ntopic read welder/#\ntopic read camera/#\ntopic read phone/#\n' "$MQ_USER" > "$MQ_DIR/acl"
    chmod 600 "$MQ_DIR/acl"
  fi
  # Started as root, mosquitto drops to its own user: give it the folder, or, when that user cannot reach the
  # folder (a clone inside /root), keep root (it listens on loopback only).
  local mq_user=""
  if [ "$(id -u)" -eq 0 ]; then
    if id mosquitto >/dev/null 2>&1 && (cd / && runuser -u mosquitto -- test -x "$VAR") 2>/dev/null; then
      chown -R mosquitto: "$MQ_DIR"
    else
      mq_user="user root"
    fi
  fi
  cat > "$MQ_DIR/mosquitto.conf" <<CONF
$mq_user
listener $MQTT_PORT 127.0.0.1
allow_anonymous false
password_file $MQ_DIR/passwd
acl_file $MQ_DIR/acl
persistence true
persistence_location $MQ_DIR/data/
autosave_interval 10
max_queued_messages 1000000
max_inflight_messages 0
max_inflight_bytes 0
pid_file $MQ_DIR/mosquitto.pid
log_dest file $MQ_DIR/mosquitto.log
CONF
  log mqtt "start on 127.0.0.1:$MQTT_PORT"
  mosquitto -d -c "$MQ_DIR/mosquitto.conf"
  for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$MQTT_PORT") 2>/dev/null && return
    sleep 0.1
  done
  echo "mosquitto did not open port $MQTT_PORT; see $MQ_DIR/mosquitto.log" >&2; exit 1
}

mq_stop() {
  if mq_running; then
    log mqtt stop; kill "$(mq_pid)"
    for _ in $(seq 50); do mq_running || return 0; sleep 0.1; done
  fi
}

print_env() {
  [ -n "${DATABASE_URL:-}" ] || echo "export DATABASE_URL=postgis://postgres@127.0.0.1:$PG_PORT/$DB_NAME"
  [ -n "${MQTT_URL:-}" ] || echo "export MQTT_URL=mqtt://$MQ_USER:$(mq_secret)@127.0.0.1:$MQTT_PORT"
}

PG_PORT=$(choose_port PG_PORT 55432 "$(pg_running && sed -n 4p "$PG_DATA/postmaster.pid")")
MQTT_PORT=$(choose_port MQTT_PORT 18830 "$(mq_running && awk '/^listener/ {print $2}' "$MQ_DIR/mosquitto.conf")")

case "${1:-}" in
  start)
    [ -n "${DATABASE_URL:-}" ] || pg_start
    [ -n "${MQTT_URL:-}" ] || mq_start ;;
  stop) pg_stop; mq_stop ;;
  status)
    pg_running && echo "postgres: running on $PG_PORT" || echo "postgres: stopped"
    mq_running && echo "mosquitto: running on $MQTT_PORT" || echo "mosquitto: stopped" ;;
  env) print_env ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
