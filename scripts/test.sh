#!/usr/bin/env bash
# The whole test suite, as `make test` and CI run it: vet, unit and integration tests with a
# real Secret Service (gnome-keyring in a private D-Bus session), and short fuzz runs.
set -euo pipefail
cd "$(dirname "$0")/.."

go vet ./...

# A private session bus with an unlocked gnome-keyring, so the keyring tests talk to a real
# Secret Service and nothing leaks into (or depends on) the user's own session.
dbus-run-session -- bash -c '
  set -euo pipefail
  eval "$(printf "ebill-test" | gnome-keyring-daemon --unlock --components=secrets)"
  export EBILL_KEYRING_IT=1
  go test -count=1 -timeout 30m ./...
'

scripts/fuzz.sh "${FUZZTIME:-5s}"
echo "make test: all passed"
