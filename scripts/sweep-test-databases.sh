#!/usr/bin/env bash
# Drops the scratch databases (openti_test_<pid>_…) of test processes that have exited, so a
# test run leaves nothing behind on the PostgreSQL server (the test harness also sweeps at the
# start of each run). Needs psql; without it, does nothing.
set -euo pipefail
url=${OPENTI_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432}
command -v psql >/dev/null 2>&1 || exit 0
dropped=0
for db in $(psql "$url/postgres" -Atqc "SELECT datname FROM pg_database WHERE datname LIKE 'openti\_test\_%'"); do
    pid=${db#openti_test_}
    pid=${pid%%_*}
    if [ -n "$pid" ] && [ ! -d "/proc/$pid" ]; then
        psql "$url/postgres" -Atqc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null
        dropped=$((dropped + 1))
    fi
done
echo "dropped $dropped leftover test database(s)"
