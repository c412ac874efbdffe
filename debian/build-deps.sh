#!/usr/bin/env bash
# Install the Debian packages that building the Debian package needs (make
# deb), when missing: the Build-Depends of debian/control, and dpkg-dev.
set -euo pipefail

packages=(dpkg-dev debhelper postgresql-server-dev-all libphonenumber-dev g++ make)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

echo "installing: ${missing[*]}"
sudo=()
[[ $(id -u) -eq 0 ]] || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
