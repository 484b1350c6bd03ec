#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests and CI, in a temporary folder, on 127.0.0.1 only.
#
#   eval "$(scripts/postgres-server.sh start)"   # starts it; prints the connection as `export …` lines
#   scripts/postgres-server.sh stop              # stops it and deletes its folder (needs P402_PG_DIR)
#
# The database `p402` holds two roles, as a warehouse would:
#   p402_meter    owns the ledger (the loader in tests/ledger_loader.py writes it as the meter would);
#   p402_monitor  Monitor's role: owns only its own schemas and may read the ledger it is granted.
# P402_PG_HOST/PORT/USER/PASSWORD/DATABASE are Monitor's connection, as profiles.example.yml's
# postgres target reads them; P402_PG_METER_USER/PASSWORD are the ledger owner's.
set -euo pipefail

postgres_bin() {
    if command -v initdb >/dev/null; then
        dirname "$(readlink -f "$(command -v initdb)")"
        return
    fi
    local newest
    newest=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -n "$newest" ] || { echo "no PostgreSQL server binaries (initdb): apt-get install postgresql" >&2; exit 1; }
    echo "$newest"
}

spare_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# PostgreSQL refuses to run as root: when we are root, the server runs as the `postgres` user.
as_server_user() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u "$server_user" -- "$@"
    else
        "$@"
    fi
}

start() {
    local bin dir port monitor_password meter_password
    bin=$(postgres_bin)
    dir=$(mktemp -d "${TMPDIR:-/tmp}/p402-postgres.XXXXXX")
    port=$(spare_port)
    monitor_password=$(python3 -c 'import secrets; print(secrets.token_hex(12))')
    meter_password=$(python3 -c 'import secrets; print(secrets.token_hex(12))')
    [ "$(id -u)" -ne 0 ] || chown "$server_user" "$dir"
    chmod 700 "$dir"
    # A start that fails half-way leaves no server and no folder behind.
    trap 'P402_PG_DIR=$dir stop' EXIT

    # Local (socket) connections are trusted for the setup below; TCP needs a password.
    as_server_user "$bin/initdb" --pgdata="$dir/data" --username=postgres --encoding=UTF8 \
        --locale=C --auth-local=trust --auth-host=scram-sha-256 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    as_server_user "$bin/pg_ctl" --pgdata="$dir/data" --log="$dir/server.log" --wait --silent \
        --options="-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c TimeZone=UTC" \
        start >&2 || { cat "$dir/server.log" >&2; exit 1; }

    as_server_user psql --quiet --no-psqlrc --host="$dir" --port="$port" --username=postgres \
        --dbname=postgres --set=ON_ERROR_STOP=1 >&2 <<SQL
create role p402_meter login password '$meter_password';
create role p402_monitor login password '$monitor_password';
create database p402 owner p402_meter;
\connect p402
-- PostgreSQL 15 gives nobody CREATE on schema public; Monitor's own schemas are made for it.
create schema p402_monitor authorization p402_monitor;
create schema p402_monitor_staging authorization p402_monitor;
create schema p402_monitor_intermediate authorization p402_monitor;
create schema p402_monitor_reference authorization p402_monitor;
SQL

    cat <<ENV
export P402_PG_DIR=$dir
export P402_PG_HOST=127.0.0.1
export P402_PG_PORT=$port
export P402_PG_DATABASE=p402
export P402_PG_USER=p402_monitor
export P402_PG_PASSWORD=$monitor_password
export P402_PG_METER_USER=p402_meter
export P402_PG_METER_PASSWORD=$meter_password
ENV
    trap - EXIT
    echo "PostgreSQL is listening on 127.0.0.1:$port (data in $dir)" >&2
}

stop() {
    local dir=${P402_PG_DIR:-}
    [ -n "$dir" ] && [ -d "$dir/data" ] || { echo "P402_PG_DIR names no server folder: nothing to stop" >&2; return 0; }
    as_server_user "$(postgres_bin)/pg_ctl" --pgdata="$dir/data" --wait --silent --mode=fast stop >&2 || true
    rm -rf "$dir"
    echo "PostgreSQL stopped; $dir removed" >&2
}

server_user=${P402_PG_SERVER_USER:-postgres}
case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
