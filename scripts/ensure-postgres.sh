#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on the test URL (OPENTI_TEST_POSTGRES, default
# postgres://postgres@127.0.0.1:5432) before the PostgreSQL tests run. On a fresh Debian
# machine (root, apt) without one, it installs the distribution's PostgreSQL and starts a
# cluster on 127.0.0.1:5432 with trust authentication for local connections only.
set -euo pipefail

url=${OPENTI_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432}

hostport=${url#*://}
hostport=${hostport#*@}
hostport=${hostport%%/*}
host=${hostport%%:*}
port=${hostport##*:}
[ "$port" = "$hostport" ] && port=5432

answers() {
    if command -v psql >/dev/null 2>&1; then
        psql "$url/postgres" -Atqc "SELECT 1" >/dev/null 2>&1
    else
        # no client installed: a listening port is enough (the tests use their own client)
        (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null
    fi
}

if answers; then
    echo "PostgreSQL answers at $url"
    exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "error: no PostgreSQL at $url and cannot install one (not root or no apt-get);" >&2
    echo "       start one or set OPENTI_TEST_POSTGRES=postgres://user@host:port" >&2
    exit 1
fi
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        postgresql postgresql-contrib >/dev/null
fi
version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)
if [ -z "$version" ]; then
    echo "error: PostgreSQL installed but no cluster found under /etc/postgresql" >&2
    exit 1
fi
conf=/etc/postgresql/$version/main
# loopback only, trust (a throw-away test server)
sed -i "s/^#\?listen_addresses.*/listen_addresses = '127.0.0.1'/" "$conf/postgresql.conf"
cat >"$conf/pg_hba.conf" <<'HBA'
local   all   all                 trust
host    all   all   127.0.0.1/32  trust
host    all   all   ::1/128       trust
HBA
pg_ctlcluster "$version" main restart || pg_ctlcluster "$version" main start
for _ in $(seq 1 30); do
    answers && { echo "PostgreSQL $version started on 127.0.0.1:5432"; exit 0; }
    sleep 1
done
echo "error: PostgreSQL did not start" >&2
exit 1
