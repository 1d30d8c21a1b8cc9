#!/usr/bin/env bash
# Smoke test of the real desktop (GL build) on a virtual X server: a fresh user (throwaway
# HOME and XDG dirs, no keyring) starts ebill, the first-run screen must appear and is
# photographed; then the start-up time to a usable window with the embedded demo node is
# measured, cold and warm. `make test` calls it.
#
#   scripts/smoke.sh            screenshot and figures go to a temporary directory
#   SMOKE_OUT=dir scripts/smoke.sh
set -euo pipefail
cd "$(dirname "$0")/.."

tmp=$(mktemp -d)
out=${SMOKE_OUT:-$tmp/out}
mkdir -p "$out"
xvfb=""
cleanup() {
  [ -n "$xvfb" ] && kill "$xvfb" 2>/dev/null && wait "$xvfb" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

echo "smoke: building cmd/ebill (GL)"
go build -o "$tmp/ebill" ./cmd/ebill

# A display nobody uses, and the X server on it.
n=99
while [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ]; do n=$((n + 1)); done
Xvfb ":$n" -screen 0 1280x960x24 -nolisten tcp >"$tmp/xvfb.log" 2>&1 &
xvfb=$!
deadline=$((SECONDS + 20))
until xwininfo -root -display ":$n" >/dev/null 2>&1; do
  ((SECONDS < deadline)) || { echo "smoke: Xvfb did not start" >&2; cat "$tmp/xvfb.log" >&2; exit 1; }
  sleep 0.2
done

export HOME=$tmp/home XDG_CONFIG_HOME=$tmp/home/.config XDG_DATA_HOME=$tmp/home/.local/share \
  XDG_CACHE_HOME=$tmp/home/.cache XDG_RUNTIME_DIR=$tmp/run DISPLAY=":$n" LANG=C
mkdir -p "$HOME" "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"

# Everything that talks to D-Bus runs inside one private session bus, so nothing outlives
# the script. The first run must show a window whose title names ebill, painted (not blank).
export SMOKE_TMP=$tmp SMOKE_OUT=$out
dbus-run-session -- bash -euo pipefail -c '
  "$SMOKE_TMP/ebill" >"$SMOKE_TMP/ebill.log" 2>&1 &
  pid=$!
  deadline=$((SECONDS + 30))
  shot="$SMOKE_OUT/smoke-firstrun.png"
  until xwininfo -root -tree | grep -q "ebill" && xwd -root | xwdtopnm 2>/dev/null | tee "$SMOKE_TMP/shot.ppm" |
      ppmhist -noheader | awk "END { exit !(NR >= 8) }"; do
    if ! kill -0 "$pid" 2>/dev/null || ((SECONDS >= deadline)); then
      echo "smoke: no painted ebill window within 30 s" >&2
      cat "$SMOKE_TMP/ebill.log" >&2
      exit 1
    fi
    sleep 0.3
  done
  pnmtopng <"$SMOKE_TMP/shot.ppm" >"$shot"
  echo "smoke: first-run window up, screenshot $shot ($(ppmhist -noheader <"$SMOKE_TMP/shot.ppm" | wc -l) colours)"
  kill "$pid"
  wait "$pid" || true

  # Start-up to the first usable window with the embedded demo node: the first start creates
  # the node, the later ones are warm.
  for run in cold warm warm; do
    printf "smoke: %s " "$run"
    timeout 120 "$SMOKE_TMP/ebill" --demo --measure-startup --data "$SMOKE_TMP/desk" 2>>"$SMOKE_TMP/ebill.log" |
      grep "^startup:" || { echo "smoke: --measure-startup failed" >&2; cat "$SMOKE_TMP/ebill.log" >&2; exit 1; }
  done
'
echo "smoke: ok"
