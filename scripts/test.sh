#!/usr/bin/env bash
# The whole test suite, as `make test` and CI run it: vet, unit and integration tests under the
# race detector with a real Secret Service (gnome-keyring in a private D-Bus session), the UI on
# Fyne's test driver without GL, a smoke run of the real desktop under Xvfb, and short fuzz runs.
set -euo pipefail
cd "$(dirname "$0")/.."

go vet ./...

# A private session bus with an unlocked gnome-keyring, so the keyring tests talk to a real
# Secret Service and nothing leaks into (or depends on) the user's own session.
dbus-run-session -- bash -c '
  set -euo pipefail
  eval "$(printf "ebill-test" | gnome-keyring-daemon --unlock --components=secrets)"
  export EBILL_KEYRING_IT=1
  go test -race -count=1 -timeout 30m ./...
'

# The scale benchmark's short run at its full size (20,000 bills: fill, prune, snapshot,
# restore, every bill proven), without the race detector, which slows the ledger tenfold.
go test -count=1 -run '^TestScale$' ./app/bench/

# The UI tests once more without cgo or GL: Fyne's software test driver (-tags ci).
CGO_ENABLED=0 go test -count=1 -tags ci ./ui/...

# The real GL build on a virtual X server: the first-run screen appears and is painted.
scripts/smoke.sh

scripts/fuzz.sh "${FUZZTIME:-3000x}"
echo "make test: all passed"
