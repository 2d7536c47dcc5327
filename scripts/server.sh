#!/usr/bin/env bash
# A local Prefect server with the twin's deployments and a process worker.
#
#   scripts/server.sh start      server on 127.0.0.1:$PREFECT_PORT, pools, deployments, workers
#   scripts/server.sh workers N  run N workers on the work pool twin-sites (start or stop some)
#   scripts/server.sh stop       stop the workers, the server (and PostgreSQL) this script started
#   scripts/server.sh status
#
# Database: SQLite in $PREFECT_HOME by default; TWIN_SERVER_DB=postgres (`make server
# DB=postgres`) starts a local PostgreSQL 15 in $TWIN_HOME/postgres (scripts/postgres.sh);
# a PREFECT_API_DATABASE_CONNECTION_URL in the environment is used as given (any PostgreSQL).
# Work pools: twin-pool (the nightly and the other flows, one worker) and twin-sites (the
# site-nightly runs of a multi-site home; TWIN_SITE_WORKERS workers, default 1). Flow runs
# send heartbeats every PREFECT_FLOWS_HEARTBEAT_FREQUENCY seconds (default here 30) and the
# automation "twin: crash zombie flow runs" (scripts/prefect_setup.py, from Prefect's
# "detect zombie flows" guide) marks a run whose heartbeats stop CRASHED; the enterprise
# nightly then runs that site again. TWIN_DEPLOYMENTS (comma-separated names) deploys only
# those (default: every deployment of prefect.yaml whose flow file exists).
#
# Everything Prefect keeps (its SQLite database, logs, pid files) lives in $PREFECT_HOME
# (default ./prefect-home, gitignored), so this server never touches ~/.prefect.
# Flow runs use TWIN_HOME (default ./demo, what `make demo` fills).
# Overridable: PREFECT_HOME, PREFECT_PORT (4200), TWIN_HOME, VENV (.venv),
# TWIN_SERVER_START_TIMEOUT (seconds to wait for the server to answer, 300).
set -Eeuo pipefail
cd "$(dirname "$0")/.."
REPO="$(pwd)"
BIN="${VENV:-$REPO/.venv}/bin"
HOST=127.0.0.1
PORT="${PREFECT_PORT:-4200}"
POOL=twin-pool  # the work pool prefect.yaml names
SITE_POOL=twin-sites  # the site-nightly deployment's pool

export PREFECT_HOME="${PREFECT_HOME:-$REPO/prefect-home}"
export PREFECT_API_URL="http://$HOST:$PORT/api"
export PREFECT_SERVER_ANALYTICS_ENABLED="${PREFECT_SERVER_ANALYTICS_ENABLED:-false}"
export TWIN_HOME="${TWIN_HOME:-$REPO/demo}"
export TWIN_REPO="$REPO"
export PREFECT_FLOWS_HEARTBEAT_FREQUENCY="${PREFECT_FLOWS_HEARTBEAT_FREQUENCY:-30}"
RUN="$PREFECT_HOME/run"

alive() { [[ -f "$RUN/$1.pid" ]] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }

stop_one() {
  local name=$1 pid
  if ! alive "$name"; then rm -f "$RUN/$name.pid"; return 0; fi
  pid="$(cat "$RUN/$name.pid")"
  # Each was started with setsid: its pid is its process group; stop the whole group
  # (the worker's flow-run subprocesses, the server's own workers).
  kill -TERM -- "-$pid" 2>/dev/null || true
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$RUN/$name.pid"
  echo "stopped $name (pid $pid)"
}

site_workers() {  # names of the running site workers, by number
  local f
  for f in "$RUN"/site-worker-*.pid; do
    [[ -e "$f" ]] || continue
    f="$(basename "$f" .pid)"
    if alive "$f"; then echo "$f"; else rm -f "$RUN/$f.pid"; fi
  done | sort -t- -k3 -n
}

start_site_worker() {
  local n=$1
  # --limit 1: a worker runs one site at a time (a site nightly uses the cores it gets).
  setsid "$BIN/prefect" worker start --pool "$SITE_POOL" --type process --limit 1 \
    --name "twin-site-worker-$PORT-$n" >"$RUN/site-worker-$n.log" 2>&1 &
  echo $! >"$RUN/site-worker-$n.pid"
}

workers() {  # run exactly N site workers
  local want=${1:?usage: $0 workers N} have n
  mkdir -p "$RUN"
  mapfile -t have < <(site_workers)
  for (( n = 1; n <= want; n++ )); do
    alive "site-worker-$n" || start_site_worker "$n"
  done
  for name in "${have[@]}"; do
    n="${name##*-}"
    (( n > want )) && stop_one "$name"
  done
  echo "site workers on pool $SITE_POOL: $(site_workers | wc -l)"
}

stop_all() {
  local name
  for name in $(site_workers); do stop_one "$name"; done
  stop_one worker
  stop_one server
  if [[ -f "$RUN/postgres.dir" ]]; then
    TWIN_PG_DIR="$(cat "$RUN/postgres.dir")" TWIN_PG_PORT="$(cat "$RUN/postgres.port")" \
      scripts/postgres.sh stop || true
    rm -f "$RUN/postgres.dir" "$RUN/postgres.port"
  fi
}

start() {
  mkdir -p "$RUN"
  if alive server; then
    echo "a server started by this script is already running (pid $(cat "$RUN/server.pid")); "\
"run 'make server-stop' first" >&2
    exit 1
  fi
  TWIN_TIMEZONE="$("$BIN/python" -c 'from twin_core.settings import get_settings; print(get_settings().timezone)')"
  export TWIN_TIMEZONE

  # Whatever fails from here on stops what was started, so a half-started server never lingers.
  trap 'echo "start failed; stopping what was started" >&2; stop_all' ERR
  if [[ "${TWIN_SERVER_DB:-sqlite}" == postgres && -z "${PREFECT_API_DATABASE_CONNECTION_URL:-}" ]]; then
    export TWIN_PG_DIR="${TWIN_PG_DIR:-$TWIN_HOME/postgres}" TWIN_PG_PORT="${TWIN_PG_PORT:-5433}"
    scripts/postgres.sh start
    echo "$TWIN_PG_DIR" >"$RUN/postgres.dir"
    echo "$TWIN_PG_PORT" >"$RUN/postgres.port"
    PREFECT_API_DATABASE_CONNECTION_URL="$(scripts/postgres.sh url)"
    export PREFECT_API_DATABASE_CONNECTION_URL
  elif [[ "${TWIN_SERVER_DB:-sqlite}" != sqlite && "${TWIN_SERVER_DB:-sqlite}" != postgres ]]; then
    echo "TWIN_SERVER_DB takes sqlite or postgres, got $TWIN_SERVER_DB" >&2
    false
  fi
  DB_NOTE="${PREFECT_API_DATABASE_CONNECTION_URL:-sqlite in $PREFECT_HOME}"
  setsid "$BIN/prefect" server start --host "$HOST" --port "$PORT" >"$RUN/server.log" 2>&1 &
  echo $! >"$RUN/server.pid"
  # A first start migrates a new SQLite database: on a busy machine that takes minutes.
  if ! "$BIN/python" - "$PREFECT_API_URL" "${TWIN_SERVER_START_TIMEOUT:-300}" <<'PY'
import sys, time, urllib.request
url = sys.argv[1] + "/health"
deadline = time.monotonic() + float(sys.argv[2])
while time.monotonic() < deadline:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            if r.status == 200:
                sys.exit(0)
    except OSError:
        time.sleep(0.5)
sys.exit(1)
PY
  then
    echo "the Prefect server did not become healthy; see $RUN/server.log" >&2
    false
  fi

  for pool in "$POOL" "$SITE_POOL"; do
    "$BIN/prefect" --no-prompt work-pool create "$pool" --type process >/dev/null 2>&1 \
      || "$BIN/prefect" --no-prompt work-pool inspect "$pool" >/dev/null
  done
  "$BIN/twin" init >/dev/null

  # Deploy what this checkout has (a flow file not written yet is reported, not deployed).
  mapfile -t NAMES < <("$BIN/python" - <<'PY'
import os, pathlib, sys, yaml
only = {n for n in os.environ.get("TWIN_DEPLOYMENTS", "").split(",") if n}
for d in yaml.safe_load(pathlib.Path("prefect.yaml").read_text())["deployments"]:
    path = d["entrypoint"].split(":")[0]
    if only and d["name"] not in only:
        continue
    if pathlib.Path(path).is_file():
        print(d["name"])
    else:
        print(f"skipping deployment {d['name']}: {path} does not exist yet", file=sys.stderr)
PY
)
  ARGS=()
  for n in "${NAMES[@]}"; do ARGS+=(--name "$n"); done
  "$BIN/prefect" --no-prompt deploy "${ARGS[@]}" >"$RUN/deploy.log" 2>&1 \
    || { echo "prefect deploy failed; see $RUN/deploy.log" >&2; tail -20 "$RUN/deploy.log" >&2; false; }
  "$BIN/python" -m flows.deploy
  "$BIN/python" scripts/prefect_setup.py

  setsid "$BIN/prefect" worker start --pool "$POOL" --type process --name "twin-worker-$PORT" \
    >"$RUN/worker.log" 2>&1 &
  echo $! >"$RUN/worker.pid"
  workers "${TWIN_SITE_WORKERS:-1}" >/dev/null

  trap - ERR
  echo
  echo "Prefect UI:   http://$HOST:$PORT   (API $PREFECT_API_URL)"
  echo "deployments:  ${NAMES[*]}   (work pool $POOL, worker pid $(cat "$RUN/worker.pid"))"
  echo "site workers: $(site_workers | wc -l) on work pool $SITE_POOL (more: make workers N=2)"
  echo "database:     $DB_NOTE"
  echo "TWIN_HOME:    $TWIN_HOME    plant timezone: $TWIN_TIMEZONE"
  echo "logs:         $RUN/{server,worker,site-worker-N,deploy}.log"
  echo "stop with:    make server-stop"
}

case "${1:-start}" in
  start) start ;;
  stop) stop_all ;;
  workers) workers "${2:-}" ;;
  status)
    for n in server worker $(site_workers); do
      if alive "$n"; then echo "$n: running (pid $(cat "$RUN/$n.pid"))"; else echo "$n: stopped"; fi
    done ;;
  *) echo "usage: $0 start|stop|status|workers N" >&2; exit 2 ;;
esac
