#!/usr/bin/env bash
# Throw-away PostgreSQL cluster for the register tests (sourced by .ci/run, or run by hand:
#   source .ci/pg.sh && pg_start && echo "$RENDICONTA_TEST_PG_URL" ... pg_stop).
# Runs as the non-root `postgres` user, listens on 127.0.0.1 only, on a free port, in a temporary
# directory; never touches a system cluster.
pg_start() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$bin" ] || { echo "PostgreSQL non installato (apt-get install postgresql)" >&2; return 1; }
  PG_DIR=$(mktemp -d /tmp/rendiconta-pg.XXXXXX)
  PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
  PG_BIN=$bin
  local run=(env)
  if [ "$(id -u)" = 0 ]; then
    chown postgres: "$PG_DIR"
    run=(su postgres -s /bin/sh -c)
  else
    run=(sh -c)
  fi
  "${run[@]}" "$bin/initdb -D $PG_DIR/data -A trust -U postgres -E UTF8 --no-locale >$PG_DIR/initdb.log 2>&1" \
    || { cat "$PG_DIR/initdb.log" >&2; return 1; }
  "${run[@]}" "$bin/pg_ctl -D $PG_DIR/data -o \"-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off\" -l $PG_DIR/log -w start >/dev/null" \
    || { cat "$PG_DIR/log" >&2; return 1; }
  PG_RUN=("${run[@]}")
  export RENDICONTA_TEST_PG_URL="postgresql+psycopg://postgres@127.0.0.1:$PG_PORT/postgres"
}

pg_stop() {
  [ -n "${PG_DIR:-}" ] || return 0
  "${PG_RUN[@]}" "$PG_BIN/pg_ctl -D $PG_DIR/data -m fast -w stop >/dev/null" || true
  rm -rf "$PG_DIR"
  PG_DIR=
}
