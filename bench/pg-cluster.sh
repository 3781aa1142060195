#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the benchmark, like the tests': initdb + pg_ctl on a free loopback port in DIR,
# run as the postgres user (or a system user created for it) when invoked as root.
#   bench/pg-cluster.sh start DIR   # prints postgres://drover@127.0.0.1:PORT/postgres
#   bench/pg-cluster.sh stop DIR
set -euo pipefail
cmd="$1"; dir="$2"
bin="$(dirname "$(command -v initdb 2>/dev/null || ls /usr/lib/postgresql/*/bin/initdb | sort | tail -1)")"
as=()
if [[ $(id -u) -eq 0 ]]; then
  user=postgres
  id -u postgres >/dev/null 2>&1 || { id -u drover-pg >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin drover-pg; user=drover-pg; }
  as=(runuser -u "$user" --)
fi
case "$cmd" in
  start)
    mkdir -p "$dir"; [[ ${#as[@]} -gt 0 ]] && chown -R "${as[2]}" "$dir"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "${as[@]}" "$bin/initdb" -D "$dir/data" -U drover --auth=trust -E UTF8 --no-instructions >/dev/null
    # Durable settings (fsync on), as a production server would run.
    "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
    echo "postgres://drover@127.0.0.1:$port/postgres" ;;
  stop)
    "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    rm -rf "$dir" ;;
esac
