#!/usr/bin/env bash
# End-to-end benchmark: Drover's figures, then (when ../shared/bench/hangfire is beside the checkout)
# Hangfire.InMemory's in the same invocation, for side-by-side numbers.
#   bench/run.sh                       # everything, 3 reps
#   bench/run.sh --phases throughput --n 5000 --reps 1
#   SKIP_GATEWAY=1 bench/run.sh        # without the gateway-overhead run
# With no arguments it also runs `bench --phases gateway` once after the main run (the gateway phase is not in
# bench's default list); with arguments only what they name runs, so pass `--phases gateway` to get it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
"$root/drover" --help >/dev/null   # build once
dotnet build "$root/src/Drover.Cli" -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null
echo "== drover"
dotnet "$root/src/Drover.Cli/bin/Release/net10.0/drover.dll" bench "$@"
if [[ $# -eq 0 && -z "${SKIP_GATEWAY:-}" ]]; then
  echo "== drover gateway (overhead vs a fake upstream called directly)"
  dotnet "$root/src/Drover.Cli/bin/Release/net10.0/drover.dll" bench --phases gateway
fi
hf="$root/../shared/bench/hangfire"
hfdll=""
build_hangfire() {
  # Build a copy, so the shared folder stays untouched.
  [[ -n "$hfdll" ]] && return 0
  local work; work="$(mktemp -d /var/tmp/hfbench.XXXXXX)"
  cp "$hf/Program.cs" "$hf/HangfireBench.csproj" "$work/"
  dotnet build "$work/HangfireBench.csproj" -c Release -v quiet -nologo >/dev/null
  hfdll="$work/bin/Release/net10.0/HangfireBench.dll"
}
# PostgreSQL: the same throughput runs on a throwaway local cluster (only with no arguments; SKIP_POSTGRES=1 skips),
# claim latency with 1,000,000 succeeded jobs in the table, and Hangfire.PostgreSql on the same cluster.
if [[ $# -eq 0 && -z "${SKIP_POSTGRES:-}" ]] && { command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; }; then
  echo "== drover on postgres (throwaway local cluster, fsync on; the store commits with synchronous_commit=off, its default)"
  pgdir="$(mktemp -d /var/tmp/drover-pgbench.XXXXXX)"
  pgurl="$("$here/pg-cluster.sh" start "$pgdir")"
  dotnet "$root/src/Drover.Cli/bin/Release/net10.0/drover.dll" bench --phases throughput,latency,recovery --n 2000 --workers 1,2,8,32 --postgres "$pgurl" | grep "^bench" || true
  dotnet "$root/src/Drover.Cli/bin/Release/net10.0/drover.dll" bench --phases throughput --n 2000 --workers 1 --terminal-rows 1000000 --postgres "$pgurl" | grep '^bench' || true
  if [[ -d "$hf" && -z "${SKIP_HANGFIRE:-}" ]]; then
    echo "== hangfire.postgresql (same cluster, same invocation)"
    build_hangfire
    port="${pgurl##*:}"; port="${port%%/*}"
    dotnet "$hfdll" --storages postgres --pg "Host=127.0.0.1;Port=$port;Username=drover;Database=postgres" --n 2000 --reps 3 \
      --workers 2,8,32 --phases throughput --out "$(dirname "$hfdll")/report-pg.md" | grep '^hangfire' || true
  fi
  "$here/pg-cluster.sh" stop "$pgdir"
fi
if [[ -d "$hf" && -z "${SKIP_HANGFIRE:-}" ]]; then
  echo "== hangfire (InMemory; same machine, same invocation)"
  build_hangfire
  dotnet "$hfdll" --storages inmemory --n 10000 --reps 3 --workers 2,8,32 \
    --phases throughput,latency --out "$(dirname "$hfdll")/report.md" | grep '^hangfire' || true
fi
