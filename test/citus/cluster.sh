# Shell helpers for the Citus suite: a throwaway coordinator and two workers
# on 127.0.0.1, each with a database citus_test that has the extensions citus
# and "returning". Source this file; call citus_start, then citus_stop (also
# run on exit). Uses as_owner and PG_BIN from test/lib.sh.
#
# After citus_start: CITUS_DIR, CITUS_PORTS (coordinator, worker 1, worker 2),
# and PGHOST, PGPORT (the coordinator), PGUSER, PGDATABASE=citus_test exported.

. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

CITUS_DB=citus_test
CITUS_NODES=(coordinator worker1 worker2)

# citus_free_port USED...: a port in 56100-56199 that nothing listens on.
citus_free_port() {
	local p u
	for p in $(seq 56100 56199); do
		for u in "$@"; do [[ $u == "$p" ]] && continue 2; done
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && [[ ! -e /tmp/.s.PGSQL.$p ]]; then
			echo "$p"
			return
		fi
	done
	echo "no free port in 56100-56199" >&2
	return 1
}

# citus_psql NODE_INDEX psql-args...: psql on node 0 (coordinator), 1 or 2.
citus_psql() {
	local i=$1; shift
	psql -X -h 127.0.0.1 -p "${CITUS_PORTS[$i]}" -U "$PGUSER" -d "$CITUS_DB" "$@"
}

# citus_start [extra postgres settings...]
citus_start() {
	CITUS_DIR=$(mktemp -d /tmp/returning-citus.XXXXXX)
	chmod 755 "$CITUS_DIR"
	[[ $(id -u) -eq 0 ]] && chown postgres: "$CITUS_DIR"
	PGUSER=$([[ $(id -u) -eq 0 ]] && echo postgres || id -un)
	export PGUSER
	trap citus_stop EXIT
	CITUS_PORTS=()
	local i node dir port opts s
	for i in "${!CITUS_NODES[@]}"; do
		node=${CITUS_NODES[$i]}
		dir=$CITUS_DIR/$node
		port=$(citus_free_port "${CITUS_PORTS[@]}") || return 1
		CITUS_PORTS+=("$port")
		as_owner "$PG_BIN/initdb" -D "$dir" -A trust -E UTF8 --locale=C.UTF-8 >"$CITUS_DIR/$node-initdb.log" 2>&1 ||
			{ cat "$CITUS_DIR/$node-initdb.log"; return 1; }
		echo "host all all 127.0.0.1/32 trust" | as_owner tee -a "$dir/pg_hba.conf" >/dev/null
		opts="-p $port -k $CITUS_DIR -c listen_addresses=127.0.0.1 -c shared_preload_libraries=citus"
		opts+=" -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
		opts+=" -c max_prepared_transactions=100 -c citus.node_conninfo=sslmode=disable"
		for s in "$@"; do opts+=" -c $s"; done
		as_owner "$PG_BIN/pg_ctl" -D "$dir" -o "$opts" -l "$CITUS_DIR/$node.log" -w start >/dev/null ||
			{ cat "$CITUS_DIR/$node.log"; return 1; }
	done
	PGHOST=127.0.0.1
	PGPORT=${CITUS_PORTS[0]}
	PGDATABASE=$CITUS_DB
	export PGHOST PGPORT PGDATABASE
	# The extensions go on every node before the workers join.
	for i in "${!CITUS_NODES[@]}"; do
		citus_psql "$i" -qtA -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $CITUS_DB" >/dev/null &&
			citus_psql "$i" -qtA -v ON_ERROR_STOP=1 -c 'CREATE EXTENSION citus' -c 'CREATE EXTENSION "returning"' \
				>/dev/null || return 1
	done
	citus_psql 0 -qtA -v ON_ERROR_STOP=1 \
		-c "SELECT citus_set_coordinator_host('127.0.0.1', ${CITUS_PORTS[0]})" \
		-c "SELECT citus_add_node('127.0.0.1', ${CITUS_PORTS[1]})" \
		-c "SELECT citus_add_node('127.0.0.1', ${CITUS_PORTS[2]})" >/dev/null || return 1
}

citus_stop() {
	[[ -n ${CITUS_DIR:-} && -d $CITUS_DIR ]] || return 0
	local node
	for node in "${CITUS_NODES[@]}"; do
		[[ -f $CITUS_DIR/$node/postmaster.pid ]] &&
			as_owner "$PG_BIN/pg_ctl" -D "$CITUS_DIR/$node" -m fast -w stop >/dev/null 2>&1
	done
	rm -rf "$CITUS_DIR"
	CITUS_DIR=
}
