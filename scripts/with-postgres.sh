#!/usr/bin/env bash
# Run a command beside a throwaway PostgreSQL server (its connection exported as P402_PG_*),
# installing the server from Debian's packages if the machine has none, and stopping it however
# the command ends. `make test` runs pytest this way, so tests/test_postgres.py always has a server.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    scripts/install-system-packages.sh postgresql
fi
eval "$(scripts/postgres-server.sh start)"
trap 'scripts/postgres-server.sh stop' EXIT
"$@"
