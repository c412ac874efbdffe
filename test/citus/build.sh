#!/usr/bin/env bash
# Build and install Citus from the vendored source tarball when citus.so is
# not installed in the PostgreSQL that the tests use. Prints one line.
# Exit 0: installed (now or before); 77: skipped (no citus.so, no tarball);
# 1: the build failed (the tail of its log is printed).
set -euo pipefail
cd "$(dirname "$0")/../.."

PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
pkglibdir=$("$PG_CONFIG" --pkglibdir)

if [[ -e $pkglibdir/citus.so ]]; then
	echo "citus: already installed in $pkglibdir"
	exit 0
fi

tarball=${CITUS_TARBALL:-}
if [[ -z $tarball ]]; then
	for f in ../shared/vendor/citus-*.tar.gz; do [[ -f $f ]] && tarball=$f; done
fi
if [[ -z $tarball || ! -f $tarball ]]; then
	echo "skipped: citus.so is not in $pkglibdir and no ../shared/vendor/citus-*.tar.gz to build it from"
	exit 77
fi

# The build needs the packages listed in test/deps.sh.
missing=0
for p in postgresql-server-dev-15 liblz4-dev libzstd-dev libkrb5-dev libselinux1-dev libxslt1-dev \
	libpam0g-dev libssl-dev flex bison make; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing=1
done
((missing == 0)) || test/deps.sh >/dev/null

sudo=()
[[ $(id -u) -eq 0 ]] || sudo=(sudo)

work=$(mktemp -d /tmp/returning-citus-build.XXXXXX)
trap 'rm -rf "$work"' EXIT
log=$work/build.log
start=$SECONDS
{
	tar -xzf "$tarball" -C "$work" &&
		cd "$work"/citus-* &&
		./configure --without-libcurl PG_CONFIG="$PG_CONFIG" &&
		make -j"$(nproc)" &&
		"${sudo[@]}" make install
} >"$log" 2>&1 || {
	tail -40 "$log"
	echo "citus: build of $(basename "$tarball") failed"
	exit 1
}
echo "citus: built $(basename "$tarball" .tar.gz) and installed it into $pkglibdir in $((SECONDS - start)) s"
