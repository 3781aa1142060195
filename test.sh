#!/usr/bin/env bash
# Builds with warnings as errors, checks formatting, runs every test project.
# Brings what the tests need first (tests/prereqs.sh: Chromium, util-linux, iproute2, ... when run as root with
# apt-get; otherwise the tests that need a missing tool are skipped with the reason).
# Prints each test project's time and one closing line "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
prereqs=$(tests/prereqs.sh)
[ -z "$prereqs" ] || echo "$prereqs"
# Tests commit with real git: give it an identity when the machine has none.
git config user.name >/dev/null 2>&1 || export GIT_AUTHOR_NAME=drover-test GIT_COMMITTER_NAME=drover-test
git config user.email >/dev/null 2>&1 || export GIT_AUTHOR_EMAIL=test@localhost GIT_COMMITTER_EMAIL=test@localhost
start=$(date +%s)
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
# Skipped tests, each with its reason (a tool this machine lacks), and the time each project took.
grep -E '^\s+Skipped ' "$log" | sed -E 's/^\s+Skipped /skipped: /' | head -50
[ -z "$prereqs" ] || echo "$prereqs"
grep -E '(Passed|Failed)! +- +Failed: +[0-9]+' "$log" | sed -E 's/.*Duration: *(.*) - ([^ ]+\.dll).*/time: \2 \1/'
echo "time: total $(( $(date +%s) - start )) s"
rm -f "$log"
echo "$summary"
exit $rc
