#!/usr/bin/env bash
# Upgrade from 0.1.0, as a server goes through it:
#  1. 0.1.0, built from its commit, is installed; a database is set up as
#     its README said (setup_010.sql);
#  2. the current library is installed over it while the database still
#     holds 0.1.0's objects: writes keep being classified (window.sql);
#  3. the database is dumped, then updated with ALTER EXTENSION UPDATE, and
#     checked (after.sql); its catalog equals that of a fresh install
#     (catalog.sql);
#  4. the dump restores into the current version by the README's path:
#     CREATE EXTENSION at 0.1.0, restore, update; the same checks pass;
#  5. an attacking role prepares under 0.1.0 (attack_010.sql), tries the
#     window (attack_window.sql), and finds nothing left to use after the
#     update (its warnings, attack_after.sql).
# Uses the cluster of test/run.sh (PGHOST, PGPORT); reinstalls the current
# build when it ends, however it ends.
set -uo pipefail
cd "$(dirname "$0")/../.."
. test/lib.sh

old_commit=61c35fc
here=test/upgrade
make=${MAKE:-make}

if ! git rev-parse -q --verify "$old_commit^{commit}" >/dev/null 2>&1; then
	echo "skipped: the history of 0.1.0 (commit $old_commit) is not in this tree; a git clone has it"
	exit 77
fi

work=$(mktemp -d /tmp/returning-upgrade.XXXXXX)
chmod 755 "$work"
out=$work/out
mkdir "$out"
as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
finish() {
	test/install.sh "$make" || echo "could not reinstall the current build" >&2
	[[ -n ${KEEP:-} ]] || rm -rf "$work"
}
trap finish EXIT

psql_run() {	# psql_run <database> <file> <output>
	psql -X -q -v ON_ERROR_STOP=0 -d "$1" -f "$2" >"$3" 2>&1
}
compare() {		# compare <expected> <actual>
	if ! diff -u "$1" "$2" >"$work/diff"; then
		echo "differs from $1:"
		head -80 "$work/diff"
		return 1
	fi
}

echo "building 0.1.0 from $old_commit"
git archive "$old_commit" | tar -x -C "$work" || exit 1
"$make" -s -C "$work" PG_CONFIG="$PG_BIN/pg_config" >"$work/build.log" 2>&1 ||
	{ tail -20 "$work/build.log"; exit 1; }
as_root "$make" -s -C "$work" PG_CONFIG="$PG_BIN/pg_config" install >/dev/null || exit 1

psql -X -q -c 'SET client_min_messages = warning' -c 'DROP DATABASE IF EXISTS upgrade_010' -c 'DROP DATABASE IF EXISTS upgrade_restored' \
	-c 'DROP DATABASE IF EXISTS upgrade_fresh' -c 'DROP DATABASE IF EXISTS upgrade_attack' \
	-c 'CREATE DATABASE upgrade_010' -c 'CREATE DATABASE upgrade_attack' || exit 1
psql -X -q -c 'SET client_min_messages = warning' -c 'DROP ROLE IF EXISTS upg_owner' -c 'DROP ROLE IF EXISTS upg_app' \
	-c 'DROP ROLE IF EXISTS upg_victim' -c 'DROP ROLE IF EXISTS upg_mallory' || exit 1
rc=0
psql_run upgrade_010 $here/setup_010.sql "$out/setup_010.out"
compare $here/expected/setup_010.out "$out/setup_010.out" || rc=1
psql_run upgrade_attack $here/attack_010.sql "$out/attack_010.out"
compare $here/expected/attack_010.out "$out/attack_010.out" || rc=1
# a temporary table attached in a session that then ends
psql -X -q -v ON_ERROR_STOP=1 -d upgrade_attack -o /dev/null \
	-c 'CREATE TEMP TABLE tl (id bigserial PRIMARY KEY, status text NOT NULL DEFAULT $$new$$, contact_id bigint, company_id bigint)' \
	-c "SELECT returning_crm.attach_leads('pg_temp.tl', workspace => 'temp')" || rc=1

echo "installing the current build over 0.1.0"
test/install.sh "$make" || exit 1
psql_run upgrade_010 $here/window.sql "$out/window.out"
compare $here/expected/window.out "$out/window.out" || rc=1
psql_run upgrade_attack $here/attack_window.sql "$out/attack_window.out"
compare $here/expected/attack_window.out "$out/attack_window.out" || rc=1

pg_dump -d upgrade_010 -f "$work/upgrade_010.sql" || exit 1
psql -X -q -v ON_ERROR_STOP=1 -d upgrade_010 -c 'ALTER EXTENSION "returning" UPDATE' || exit 1
psql_run upgrade_010 $here/after.sql "$out/after.out"
compare $here/expected/after.out "$out/after.out" || rc=1

psql -X -q -c 'CREATE DATABASE upgrade_fresh' || exit 1
psql -X -q -v ON_ERROR_STOP=1 -d upgrade_fresh -c 'CREATE EXTENSION "returning"' || exit 1
psql_run upgrade_fresh $here/catalog.sql "$out/catalog_fresh.out"
psql_run upgrade_010 $here/catalog.sql "$out/catalog_updated.out"
echo "catalog of the updated database against a fresh install: $(wc -l <"$out/catalog_fresh.out") lines"
compare "$out/catalog_fresh.out" "$out/catalog_updated.out" || rc=1

psql -X -q -d upgrade_attack -c 'ALTER EXTENSION "returning" UPDATE' 2>&1 |
	sed -E 's/OID [0-9]+/OID N/; s/_obsolete_[0-9]+/_obsolete_N/' >"$out/attack_update.out"
compare $here/expected/attack_update.out "$out/attack_update.out" || rc=1
psql_run upgrade_attack $here/attack_after.sql "$out/attack_after.out"
compare $here/expected/attack_after.out "$out/attack_after.out" || rc=1

echo "restoring the dump of 0.1.0 by CREATE EXTENSION at 0.1.0, restore, update"
psql -X -q -c 'CREATE DATABASE upgrade_restored' || exit 1
psql -X -q -v ON_ERROR_STOP=1 -d upgrade_restored -c 'CREATE EXTENSION "returning" VERSION '"'0.1.0'" || exit 1
# The dump creates the schema returning_crm, which CREATE EXTENSION made
# already: that is the one error the README says to expect.
psql -X -q -d upgrade_restored -f "$work/upgrade_010.sql" >"$work/restore.log" 2>&1
errors=$(grep 'ERROR:' "$work/restore.log")
if [[ $errors != *'ERROR:  schema "returning_crm" already exists' || $(grep -c . <<<"$errors") -ne 1 ]]; then
	echo "the restore reported other errors than the expected one:"
	echo "$errors" | head -20
	exit 1
fi
psql -X -q -v ON_ERROR_STOP=1 -d upgrade_restored -c 'ALTER EXTENSION "returning" UPDATE' || exit 1
psql_run upgrade_restored $here/after.sql "$out/after_restored.out"
compare $here/expected/after.out "$out/after_restored.out" || rc=1
psql_run upgrade_restored $here/catalog.sql "$out/catalog_restored.out"
compare "$out/catalog_fresh.out" "$out/catalog_restored.out" || rc=1

psql -X -q -c 'DROP DATABASE upgrade_010' -c 'DROP DATABASE upgrade_restored' -c 'DROP DATABASE upgrade_fresh' \
	-c 'DROP DATABASE upgrade_attack' -c 'DROP ROLE upg_owner' -c 'DROP ROLE upg_app' \
	-c 'DROP ROLE upg_victim' -c 'DROP ROLE upg_mallory'
((rc == 0)) && echo "upgrade from 0.1.0: setup, window, update, catalog, dump and restore, attacks as expected"
exit $rc
