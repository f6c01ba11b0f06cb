#!/usr/bin/env bash
# Installs what mutaika and its tests need on a fresh Debian/Ubuntu machine, idempotently:
# libmagic (python-magic); for `dev` also openssl, Debian's postfix (the deployment recipes are
# tested against a private Postfix instance, and the relay bench uses one), systemd's
# systemd-analyze (the unit file is verified), PostgreSQL's server binaries (the store's tests
# start a throwaway cluster), strace (fsyncs per mail), Debian's chromium and a Japanese font
# (the console's browser tests and README screenshots) and Prometheus's promtool (the alert
# rules are checked; the package's daemon is not started); a virtualenv in .venv with the
# package and its dev tools.
# Usage: scripts/setup.sh [dev]
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()      # the run cannot go on without these
want_apt=()      # tests that need these skip, with a message, when they cannot be installed
[ -e /usr/lib/x86_64-linux-gnu/libmagic.so.1 ] || ldconfig -p 2>/dev/null | grep -q libmagic.so.1 \
  || need_apt+=(libmagic1)
if [ "${1:-}" = dev ]; then
  # the STARTTLS tests make a throw-away certificate with the openssl command
  command -v openssl >/dev/null || need_apt+=(openssl)
  { command -v postfix && command -v postmap && command -v smtp-source; } >/dev/null \
    || want_apt+=(postfix)
  command -v systemd-analyze >/dev/null || want_apt+=(systemd)
  # the store's tests run on a throwaway PostgreSQL cluster too (the server binaries only)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || want_apt+=(postgresql)
  # the fsync count per mail is taken with strace on the running process tree
  command -v strace >/dev/null || want_apt+=(strace)
  # the console's browser tests drive the distribution's Chromium through Playwright (never a
  # browser download); the screenshots need a font with Japanese glyphs
  [ -x /usr/bin/chromium ] || want_apt+=(chromium)
  fc-list :lang=ja 2>/dev/null | grep -q . || want_apt+=(fonts-ipaexfont-gothic)
  # `promtool check rules` on deploy/prometheus/alerts.yml (Debian ships it with the server)
  command -v promtool >/dev/null || want_apt+=(prometheus)
fi
can_apt=false
[ "$(id -u)" = 0 ] && command -v apt-get >/dev/null && can_apt=true
if [ ${#need_apt[@]} -gt 0 ] && ! $can_apt; then
  echo "setup: please install: ${need_apt[*]} (e.g. sudo apt-get install ${need_apt[*]})" >&2
  exit 1
fi
if [ ${#want_apt[@]} -gt 0 ] && ! $can_apt; then
  echo "setup: not root or no apt-get: the tests needing ${want_apt[*]} will be skipped" >&2
  want_apt=()
fi
apt_install() {
  # "No configuration": the postfix package installs its binaries only, no system MTA on
  # port 25; the tests and the bench run private instances.
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  # No daemon starts at install (the PostgreSQL package would start a system cluster, the
  # Prometheus package its server): the tests start their own throwaway instances.
  local policy=/usr/sbin/policy-rc.d created=false
  if [ ! -e $policy ]; then printf '#!/bin/sh\nexit 101\n' >$policy && chmod +x $policy && created=true; fi
  local rc=0
  apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" || rc=$?
  if $created; then rm -f $policy; fi
  return $rc
}
if [ ${#need_apt[@]} -gt 0 ]; then
  apt_install "${need_apt[@]}" "${want_apt[@]}"
elif [ ${#want_apt[@]} -gt 0 ]; then
  apt_install "${want_apt[@]}" \
    || echo "setup: could not install ${want_apt[*]}: the tests needing them will be skipped" >&2
fi

PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
extra=""
[ "${1:-}" = dev ] && extra="[dev]"
stamp=".venv/.installed${extra:+-dev}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/pip install -q --disable-pip-version-check -e ".${extra}"
  touch "$stamp"
fi
