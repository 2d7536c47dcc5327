#!/usr/bin/env bash
# A local Prefect server with the twin's deployments and a process worker.
#
#   scripts/server.sh start    server on 127.0.0.1:$PREFECT_PORT, pool, deployments, worker
#   scripts/server.sh stop     stop the worker and the server this script started
#   scripts/server.sh status
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

export PREFECT_HOME="${PREFECT_HOME:-$REPO/prefect-home}"
export PREFECT_API_URL="http://$HOST:$PORT/api"
export PREFECT_SERVER_ANALYTICS_ENABLED="${PREFECT_SERVER_ANALYTICS_ENABLED:-false}"
export TWIN_HOME="${TWIN_HOME:-$REPO/demo}"
export TWIN_REPO="$REPO"
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
  trap 'echo "start failed; stopping what was started" >&2; stop_one worker; stop_one server' ERR
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

  "$BIN/prefect" --no-prompt work-pool create "$POOL" --type process >/dev/null 2>&1 \
    || "$BIN/prefect" --no-prompt work-pool inspect "$POOL" >/dev/null
  "$BIN/twin" init >/dev/null

  # Deploy what this checkout has (a flow file not written yet is reported, not deployed).
  mapfile -t NAMES < <("$BIN/python" - <<'PY'
import pathlib, sys, yaml
for d in yaml.safe_load(pathlib.Path("prefect.yaml").read_text())["deployments"]:
    path = d["entrypoint"].split(":")[0]
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

  setsid "$BIN/prefect" worker start --pool "$POOL" --type process --name "twin-worker-$PORT" \
    >"$RUN/worker.log" 2>&1 &
  echo $! >"$RUN/worker.pid"

  trap - ERR
  echo
  echo "Prefect UI:   http://$HOST:$PORT   (API $PREFECT_API_URL)"
  echo "deployments:  ${NAMES[*]}   (work pool $POOL, worker pid $(cat "$RUN/worker.pid"))"
  echo "TWIN_HOME:    $TWIN_HOME    plant timezone: $TWIN_TIMEZONE"
  echo "logs:         $RUN/{server,worker,deploy}.log"
  echo "stop with:    make server-stop"
}

case "${1:-start}" in
  start) start ;;
  stop) stop_one worker; stop_one server ;;
  status)
    for n in server worker; do
      if alive "$n"; then echo "$n: running (pid $(cat "$RUN/$n.pid"))"; else echo "$n: stopped"; fi
    done ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
