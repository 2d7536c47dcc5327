#!/usr/bin/env bash
# A local PostgreSQL for the Prefect server (`make server DB=postgres`), in a folder of its own.
#
#   scripts/postgres.sh start    initdb (first time) and start PostgreSQL on 127.0.0.1:$TWIN_PG_PORT
#   scripts/postgres.sh stop     stop it (fast shutdown)
#   scripts/postgres.sh status
#   scripts/postgres.sh url      print the PREFECT_API_DATABASE_CONNECTION_URL for it
#
# Binaries: /usr/lib/postgresql/15/bin (Debian package postgresql-15; TWIN_PG_BIN overrides).
# Data: $TWIN_PG_DIR (default $TWIN_HOME/postgres). Trust authentication on 127.0.0.1 only,
# database and role `prefect`. PostgreSQL refuses to run as root: as root, the cluster belongs
# to the `postgres` system user (the package creates it) and runs as that user, so the data
# folder's parents must be searchable by it.
set -Eeuo pipefail
PG_BIN="${TWIN_PG_BIN:-/usr/lib/postgresql/15/bin}"
PG_DIR="${TWIN_PG_DIR:-${TWIN_HOME:?set TWIN_HOME or TWIN_PG_DIR}/postgres}"
PG_PORT="${TWIN_PG_PORT:-5433}"
PG_USER=prefect

if [[ ! -x "$PG_BIN/initdb" ]]; then
  echo "no PostgreSQL binaries in $PG_BIN; install them: apt-get install postgresql-15" >&2
  exit 1
fi

as_owner() {
  if [[ "$(id -u)" == 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

url() { echo "postgresql+asyncpg://$PG_USER@127.0.0.1:$PG_PORT/prefect"; }

start() {
  mkdir -p "$PG_DIR"
  if [[ "$(id -u)" == 0 ]]; then chown postgres: "$PG_DIR"; fi
  chmod 700 "$PG_DIR"
  if [[ ! -f "$PG_DIR/PG_VERSION" ]]; then
    if ! as_owner test -w "$PG_DIR"; then
      echo "$PG_DIR is not writable by the postgres user (its parent folders must be searchable)" >&2
      exit 1
    fi
    as_owner "$PG_BIN/initdb" -D "$PG_DIR" -U "$PG_USER" --auth=trust --encoding=UTF8 \
      --locale=C.UTF-8 >"$PG_DIR.initdb.log" 2>&1 \
      || { echo "initdb failed; see $PG_DIR.initdb.log" >&2; exit 1; }
  fi
  if as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR" status >/dev/null 2>&1; then
    echo "PostgreSQL already running in $PG_DIR"
  else
    # Sockets in the data folder (not /var/run/postgresql); TCP on 127.0.0.1 only.
    as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR" -l "$PG_DIR/server.log" -w -t 120 \
      -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
  fi
  if ! as_owner "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d postgres -tAc \
      "select 1 from pg_database where datname = 'prefect'" | grep -q 1; then
    as_owner "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" prefect
  fi
  echo "PostgreSQL on 127.0.0.1:$PG_PORT, data in $PG_DIR"
}

stop() {
  if [[ -f "$PG_DIR/postmaster.pid" ]]; then
    as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR" -m fast -w stop >/dev/null && echo "stopped PostgreSQL ($PG_DIR)"
  fi
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR" status ;;
  url) url ;;
  *) echo "usage: $0 start|stop|status|url" >&2; exit 2 ;;
esac
