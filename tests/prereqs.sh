#!/usr/bin/env bash
# Brings what the tests need on a fresh Debian machine (called by ./test.sh). As root with apt-get it installs what
# is missing; elsewhere it names what is missing, and the tests that need it skip with that reason.
#   setsid/unshare/nsenter/runuser (util-linux): process groups, network namespaces, PostgreSQL as a non-root user
#   useradd (passwd): a system user for the throwaway PostgreSQL cluster when there is no postgres user
#   ip (iproute2): the loopback-only and partitioned network namespaces
#   chromium: the dashboard tests drive the system browser through Playwright (no browser is downloaded)
#   initdb/pg_ctl (postgresql-15): the PostgreSQL conformance and fleet tests
#   bwrap (bubblewrap): the agent sandbox; perl (perl-base, always on Debian): its gateway relay
#   /usr/share/zoneinfo (tzdata): schedules in IANA time zones (Europe/Berlin in the tests)
#   npm (Node): installs the pinned real agent CLIs the end-to-end engine tests run
set -uo pipefail
need=()
has() { command -v "$1" >/dev/null 2>&1; }
for t in setsid unshare nsenter runuser; do has "$t" || { need+=(util-linux); break; }; done
has useradd || need+=(passwd)
has ip || need+=(iproute2)
[ -x /usr/bin/chromium ] || need+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || has initdb || need+=(postgresql)
has bwrap || need+=(bubblewrap)
has perl || need+=(perl-base)
[ -e /usr/share/zoneinfo/Europe/Berlin ] || need+=(tzdata)
has npm || need+=(npm)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && has apt-get; then
  echo "prereqs: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; then exit 0; fi
  echo "prereqs: apt-get install ${need[*]} failed; the tests that need them will be skipped"
else
  echo "prereqs: missing ${need[*]} (not root, or no apt-get); the tests that need them will be skipped"
fi
exit 0
