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
# PostgreSQL: the same throughput runs on a throwaway local cluster (only with no arguments; SKIP_POSTGRES=1 skips).
if [[ $# -eq 0 && -z "${SKIP_POSTGRES:-}" ]] && { command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; }; then
  echo "== drover on postgres (throwaway local cluster; the store commits with synchronous_commit=off, its default)"
  pgdir="$(mktemp -d /var/tmp/drover-pgbench.XXXXXX)"
  pgurl="$("$here/pg-cluster.sh" start "$pgdir")"
  dotnet "$root/src/Drover.Cli/bin/Release/net10.0/drover.dll" bench --phases throughput --n 2000 --postgres "$pgurl" | grep '^bench' || true
  "$here/pg-cluster.sh" stop "$pgdir"
fi
hf="$root/../shared/bench/hangfire"
if [[ -d "$hf" && -z "${SKIP_HANGFIRE:-}" ]]; then
  echo "== hangfire (InMemory; same machine, same invocation)"
  # Build a copy, so the shared folder stays untouched.
  work="$(mktemp -d /var/tmp/hfbench.XXXXXX)"
  trap 'rm -rf "$work"' EXIT
  cp "$hf/Program.cs" "$hf/HangfireBench.csproj" "$work/"
  dotnet build "$work/HangfireBench.csproj" -c Release -v quiet -nologo >/dev/null
  dotnet "$work/bin/Release/net10.0/HangfireBench.dll" --storages inmemory --n 10000 --reps 3 --workers 2,8,32 \
    --phases throughput,latency --out "$work/report.md" | grep '^hangfire' || true
fi
