#!/bin/sh
# Installs what bench/relay_bench.py needs: Debian's postfix (for the private anchor instance,
# smtp-source and smtp-sink) and py-spy in the venv (bench-only, not a runtime dependency).
# Idempotent: does nothing that is already done. Run as root.
set -eu

REPO=$(cd "$(dirname "$0")/.." && pwd)
VENV="$REPO/.venv"

if ! command -v postfix >/dev/null 2>&1 || ! command -v smtp-source >/dev/null 2>&1; then
    # "No configuration": the package installs binaries only, no system MTA on port 25.
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postfix
fi

# The package may still have started the system instance (e.g. on an earlier, configured
# install); the bench runs its own private instance and needs nothing on port 25.
if postfix status >/dev/null 2>&1; then
    postfix stop || true
fi

if [ ! -x "$VENV/bin/py-spy" ]; then
    "$VENV/bin/pip" install --quiet py-spy
fi

for tool in postfix smtp-source smtp-sink; do command -v "$tool"; done
"$VENV/bin/py-spy" --version
