#!/bin/sh
# Installs what bench/relay_bench.py needs: Debian's postfix (the private anchor instance,
# smtp-source and smtp-sink; scripts/setup.sh dev installs it, as it does for the tests) and
# py-spy in the venv (bench-only, not a runtime dependency).
# Idempotent: does nothing that is already done. Run as root.
set -eu

REPO=$(cd "$(dirname "$0")/.." && pwd)
VENV="$REPO/.venv"

"$REPO/scripts/setup.sh" dev

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
