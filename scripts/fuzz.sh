#!/usr/bin/env bash
# Runs every fuzz target for a while (default 5s each): `make fuzz FUZZTIME=1m` for longer.
set -euo pipefail
cd "$(dirname "$0")/.."
t="${1:-5s}"
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
