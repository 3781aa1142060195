#!/usr/bin/env bash
# Builds with warnings as errors, checks formatting, runs every test project.
# Prints one closing line "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
set -e
dotnet build Drover.slnx -c Debug -nologo -v quiet -clp:ErrorsOnly -warnaserror
dotnet format whitespace Drover.slnx --verify-no-changes
dotnet format style Drover.slnx --verify-no-changes --no-restore
set +e
log=$(mktemp)
dotnet test Drover.slnx -c Debug --no-build -nologo -v quiet --logger "console;verbosity=minimal" "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
# VSTest prints one "Passed!/Failed! - Failed: F, Passed: P, Skipped: S, Total: T" line per test project.
summary=$(grep -E '(Passed|Failed)! +- +Failed: +[0-9]+' "$log" | sed -E 's/.*Failed: +([0-9]+), +Passed: +([0-9]+), +Skipped: +([0-9]+).*/\1 \2 \3/' |
  awk '{f+=$1; p+=$2; s+=$3} END {printf "%d passed, %d failed, %d skipped\n", p, f, s}')
rm -f "$log"
echo "$summary"
exit $rc
