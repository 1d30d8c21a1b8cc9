#!/usr/bin/env bash
# Runs every fuzz target for a while (default 5s each): `make fuzz FUZZTIME=1m` for longer.
set -euo pipefail
cd "$(dirname "$0")/.."
t="${1:-5s}"

# fuzz runs one target; quiet when it passes, its whole output (the failing input, the
# panic) when it fails.
fuzz() {
  local out
  if out=$(go test -run='^$' -fuzz="^$2\$" -fuzztime="$t" "$1" 2>&1); then
    return 0
  fi
  printf '%s\n' "$out" >&2
  return 1
}

# inputs counts the failing inputs kept for a target.
inputs() { if [ -d "$1" ]; then ls "$1" | wc -l; else echo 0; fi; }

for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    echo "fuzz $pkg $target ($t)"
    found="$dir/testdata/fuzz/$target"
    before=$(inputs "$found")
    fuzz "$pkg" "$target" && continue
    # A failing input is always written to testdata/fuzz and fails every later run. A
    # failure that left none is the fuzzing engine's own (a worker lost on a loaded
    # machine): say so and run once more, which fails for good on anything real.
    if [ "$(inputs "$found")" != "$before" ]; then
      echo "fuzz: $target found a failing input, kept in ${found#"$PWD"/}" >&2
      exit 1
    fi
    echo "fuzz: $target failed without a failing input; running it once more" >&2
    fuzz "$pkg" "$target" || exit 1
  done
done
