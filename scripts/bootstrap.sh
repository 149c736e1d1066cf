#!/usr/bin/env bash
# Install what the project needs on a Debian bookworm machine: Debian packages (only those missing),
# then .venv with the pinned Python packages. Idempotent and quick when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."

DEB_PACKAGES=(curl postgresql-15 postgresql-15-postgis-3 gdal-bin libgdal32 libgeos-c1v5 libproj25 mosquitto ffmpeg fonts-wqy-microhei fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0 chromium)
log() { printf '{"event":"bootstrap","step":"%s"}\n' "$*" >&2; }

missing=()
for p in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
  # Debian starts a packaged cluster and broker on install; the project runs its own under .var/.
fi
# Node.js for the web pages' packages (any installed node/npm will do).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  log "apt-get install nodejs npm"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends nodejs npm
fi

PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
stamp=.venv/.installed
if [ ! -x .venv/bin/python ]; then
  log "create .venv with $PY"
  "$PY" -m venv .venv
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ requirements.lock -nt "$stamp" ]; then
  log "pip install (pinned)"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -c requirements.lock -e '.[dev]'
  touch "$stamp"
fi

# npm packages of web/ (served locally, never from a CDN), exactly as the lockfile says.
if [ ! -f web/node_modules/.installed ] || [ web/package-lock.json -nt web/node_modules/.installed ]; then
  log "npm ci (web/)"
  (cd web && npm ci --no-audit --no-fund --loglevel=error)
  touch web/node_modules/.installed
fi
# The pages' bundle (web/build.mjs: esbuild, hashed names, a manifest), rebuilt when a source or a package changed.
if [ ! -f web/static/web/manifest.json ] || [ -n "$(find web/src web/build.mjs web/node_modules/.installed -newer web/static/web/manifest.json -print -quit)" ]; then
  log "build web pages"
  (cd web && npm run --silent build)
fi
