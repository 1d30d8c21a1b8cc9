#!/usr/bin/env bash
# Runs the chaos tests: a four-validator network of ebilld processes on 127.0.0.1, validators
# killed (SIGKILL) and restarted under load, one and two of four stopped, the light node
# reading throughout. About 5–10 minutes on 2 cores; nothing leaves loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
exec go test -tags chaos -count=1 -timeout 15m -v ./chaos/... "$@"
