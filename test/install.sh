#!/usr/bin/env bash
# Install the built extension into the server's directories (sudo when not root).
set -euo pipefail
make=${1:-make}
if [[ $(id -u) -eq 0 ]]; then
	"$make" --no-print-directory -s install >/dev/null
else
	sudo "$make" --no-print-directory -s install >/dev/null
fi
