#!/usr/bin/env bash
# Installs the system packages ebill needs to build, test and run, only those missing.
# Debian/Ubuntu only; everything else (Go modules) comes through `go mod download`.
set -euo pipefail
pkgs=(gcc pkg-config libgl1-mesa-dev xorg-dev xvfb x11-apps x11-utils netpbm gnome-keyring dbus-x11
      libsecret-tools poppler-utils)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}" >&2
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v go >/dev/null || { echo "deps: Go 1.26 or newer is required (https://go.dev/dl)" >&2; exit 1; }
go mod download
