#!/usr/bin/env bash
# Install the Debian packages that building and testing need, when missing;
# with arguments, those packages instead (debian/build-deps.sh).
set -euo pipefail

if (($# > 0)); then
	packages=("$@")
else
	packages=(postgresql-15 postgresql-server-dev-15 postgresql-15-pgtap
		libtap-parser-sourcehandler-pgtap-perl libphonenumber-dev g++ make)
	# libFuzzer targets are built with clang when it is wanted (make fuzz, make test).
	packages+=(clang libclang-rt-14-dev)
	# Citus is built from ../shared/vendor for test/citus (test/citus/build.sh).
	packages+=(liblz4-dev libzstd-dev libkrb5-dev libselinux1-dev libxslt1-dev libpam0g-dev libssl-dev
		flex bison)
	# BI over ODBC (test/odbc: unixODBC's isql and the PostgreSQL driver), and the
	# chart of the demo (test/demo).
	packages+=(unixodbc odbc-postgresql gnuplot-nox)
fi

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
