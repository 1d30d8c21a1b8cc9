#!/usr/bin/env bash
# Rewrites the golden files of every package whose tests use internal/golden:
#   scripts/golden.sh                 the goldens, not the protocol vectors (testdata/vectors/)
#   scripts/golden.sh --frozen        the protocol vectors too: only for a protocol change,
#                                     committed as "protocol v2: <what>"
# A plain `go test ./... -update` fails in the packages that define no -update flag.
set -euo pipefail
cd "$(dirname "$0")/.."
flag=-update
if [[ "${1:-}" == --frozen ]]; then
  flag=-update-frozen-protocol-v2
fi
pkgs=$(go list -f '{{.ImportPath}} {{join .TestImports " "}} {{join .XTestImports " "}}' ./... |
  awk '/ ebill\/internal\/golden( |$)/ && $1 != "ebill/internal/golden" {print $1}')
go test -count=1 $pkgs -args "$flag"
git status --short -- '*testdata*'
