#!/usr/bin/env bash
# The README's Getting started runs as written in an empty database, and
# prints the results its comments show.  Uses the cluster of test/run.sh.
set -uo pipefail
cd "$(dirname "$0")/../.."

work=$(mktemp -d /tmp/returning-readme.XXXXXX)
trap 'rm -rf "$work"' EXIT
awk '/^## Getting started/ { f = 1 } f && /^```sql/ { g = 1; next } g && /^```/ { exit } g' README.md >"$work/start.sql"
[[ -s $work/start.sql ]] || { echo "no Getting started block in README.md"; exit 1; }

psql -X -q -c 'SET client_min_messages = warning' -c 'DROP DATABASE IF EXISTS returning_readme' \
	-c 'CREATE DATABASE returning_readme' || exit 1
psql -X -v ON_ERROR_STOP=1 -d returning_readme -f "$work/start.sql" 2>&1 | sed "s/ *$//" >"$work/out"; [[ ${PIPESTATUS[0]} -eq 0 ]] ||
	{ echo "Getting started fails:"; tail -20 "$work/out"; exit 1; }

# the commented result rows: "--  1 | won | new | f", header and rule lines
rc=0 checked=0
while IFS= read -r line; do
	want=$(sed "s/ *$//" <<<"${line#-- }")
	checked=$((checked + 1))
	grep -qxF -- "$want" "$work/out" || { echo "not in the output: $want"; rc=1; }
done < <(grep -E '^-- .*\|' "$work/start.sql")
psql -X -q -c 'DROP DATABASE returning_readme'
((checked > 0)) || { echo "the block shows no results to compare"; exit 1; }
((rc == 0)) && echo "Getting started: runs in an empty database; $checked result lines as shown"
exit $rc
