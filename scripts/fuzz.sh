#!/usr/bin/env bash
# Runs every fuzz target for a budget of executions (default 3000x each):
# `make fuzz FUZZTIME=200000x` for a longer run.
#
# The budget is a count, not a duration: Go 1.26's fuzz coordinator can report a spurious
# "context deadline exceeded" when a -fuzztime duration ends while a worker is mid-input
# (go.dev/issue/75804, fixed in Go 1.27); a count never arms that deadline.
set -euo pipefail
cd "$(dirname "$0")/.."
t="${1:-3000x}"
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    echo "fuzz $pkg $target ($t)"
    # Quiet when it passes; the whole output (the failing input, the panic) when it fails.
    if ! out=$(go test -run='^$' -fuzz="^${target}\$" -fuzztime="$t" "$pkg" 2>&1); then
      printf '%s\n' "$out" >&2
      exit 1
    fi
  done
done
