#!/usr/bin/env bash
# Makes a PostgreSQL server available on 127.0.0.1:5432 for the durable-workflow tests
# (test/durable-pg.test.ts), and prints the connection URL they read.
#
#   eval "$(.ci/postgres.sh)"     # exports GLOWMARKT_TEST_PG_URL into the calling shell
#
# 1. A server already answering on 127.0.0.1:5432 is used as is (only the test role and
#    database are created, when we can act as its superuser).
# 2. Otherwise PostgreSQL is installed from Debian's packages if it is missing
#    (`apt-get install -y postgresql`: needs root), and the Debian cluster is started with
#    `pg_ctlcluster` (or a private cluster with `initdb` + `pg_ctl` when there is none).
#
# stdout carries only `export GLOWMARKT_TEST_PG_URL=...` (for eval); progress goes to stderr.
# The URL is also written to node_modules/.cache/glowmarkt/pg-url, which the test reads when the variable is not set.
# On failure it prints nothing to stdout and exits 0: the PostgreSQL tests then say they were
# skipped and why, and everything else still runs. Set PG_REQUIRED=1 to make it fatal instead.
set -uo pipefail
cd "$(dirname "$0")/.."

PG_USER="${GLOWMARKT_TEST_PG_USER:-glowmarkt}"
PG_PASSWORD="${GLOWMARKT_TEST_PG_PASSWORD:-glowmarkt}"
PG_DB="${GLOWMARKT_TEST_PG_DB:-glowmarkt_test}"
HOST=127.0.0.1
PORT=5432
URL_FILE=node_modules/.cache/glowmarkt/pg-url
URL="postgres://${PG_USER}:${PG_PASSWORD}@${HOST}:${PORT}/${PG_DB}"

log() { echo "postgres.sh: $*" >&2; }
give_up() {
  log "$*"
  rm -f "$URL_FILE"
  if [ "${PG_REQUIRED:-0}" = "1" ]; then exit 1; fi
  exit 0
}

answers() { (exec 3<>"/dev/tcp/${HOST}/${PORT}") 2>/dev/null; }

as_postgres() {
  if [ "$(id -u)" = "0" ] && id postgres >/dev/null 2>&1; then
    su postgres -s /bin/sh -c "$*"
  elif [ "$(id -un)" = "postgres" ]; then
    sh -c "$*"
  else
    return 1
  fi
}

wait_for_server() {
  for _ in $(seq 1 60); do
    answers && return 0
    sleep 0.5
  done
  return 1
}

start_server() {
  if ! command -v pg_ctlcluster >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
    if [ "$(id -u)" != "0" ]; then give_up "no PostgreSQL server and not root: cannot install one"; fi
    log "installing PostgreSQL from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    (apt-get update -qq && apt-get install -y -qq postgresql >/dev/null) >&2 ||
      give_up "apt-get install postgresql failed"
  fi
  if command -v pg_lsclusters >/dev/null 2>&1 && [ -n "$(pg_lsclusters -h 2>/dev/null)" ]; then
    # The Debian way: the first cluster listening on 5432.
    local version cluster
    read -r version cluster _ < <(pg_lsclusters -h | awk '$3 == 5432 { print; exit }')
    if [ -n "${version:-}" ]; then
      log "starting cluster ${version}/${cluster} with pg_ctlcluster"
      pg_ctlcluster "$version" "$cluster" start >&2 || log "pg_ctlcluster start failed"
      wait_for_server && return 0
    fi
  fi
  # No Debian cluster on 5432: a private one under /tmp.
  local bindir data
  bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
  [ -n "$bindir" ] || give_up "PostgreSQL binaries not found"
  data=/tmp/glowmarkt-pg-data
  if [ ! -s "$data/PG_VERSION" ]; then
    mkdir -p "$data" && chown postgres "$data" 2>/dev/null
    as_postgres "$bindir/initdb -D $data -A trust -U postgres" >&2 || give_up "initdb failed"
  fi
  log "starting a private cluster in $data"
  as_postgres "$bindir/pg_ctl -D $data -l $data/server.log -o '-c listen_addresses=$HOST -p $PORT -k /tmp' -w start" >&2 ||
    give_up "pg_ctl start failed"
  wait_for_server || give_up "the server did not answer on ${HOST}:${PORT}"
}

if answers; then
  log "a server answers on ${HOST}:${PORT}: using it"
else
  start_server
fi

# The role and database the tests use (idempotent). Needs superuser access through the local
# socket; on a server we do not own, the URL is still tried as given.
psql_admin() { as_postgres "psql -v ON_ERROR_STOP=1 -qAt -h /var/run/postgresql -p $PORT -d postgres -c \"$1\"" ||
  as_postgres "psql -v ON_ERROR_STOP=1 -qAt -h /tmp -p $PORT -d postgres -c \"$1\""; }
if psql_admin "SELECT 1" >/dev/null 2>&1; then
  if [ "$(psql_admin "SELECT 1 FROM pg_roles WHERE rolname = '${PG_USER}'")" != "1" ]; then
    psql_admin "CREATE ROLE ${PG_USER} LOGIN PASSWORD '${PG_PASSWORD}'" >&2 || give_up "could not create role ${PG_USER}"
  fi
  if [ "$(psql_admin "SELECT 1 FROM pg_database WHERE datname = '${PG_DB}'")" != "1" ]; then
    psql_admin "CREATE DATABASE ${PG_DB} OWNER ${PG_USER}" >&2 || give_up "could not create database ${PG_DB}"
  fi
else
  log "no superuser access through the local socket: assuming ${PG_USER}/${PG_DB} exist"
fi

if command -v psql >/dev/null 2>&1; then
  psql "$URL" -qAt -c "SELECT 1" >/dev/null 2>&1 || give_up "cannot connect as ${URL/:${PG_PASSWORD}@/:***@}"
fi

mkdir -p "$(dirname "$URL_FILE")" && echo "$URL" > "$URL_FILE"
log "ready: GLOWMARKT_TEST_PG_URL=${URL/:${PG_PASSWORD}@/:***@}"
echo "export GLOWMARKT_TEST_PG_URL='${URL}'"
