# Shared shell helpers: a throwaway PostgreSQL cluster on a free port.
# Source this file; call cluster_start, then cluster_stop (also run on exit).

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PGXS_DIR=$("$PG_BIN/pg_config" --pkglibdir)/pgxs

# Run a command as the cluster's owner: postgres when we are root.
as_owner() {
	if [[ $(id -u) -eq 0 ]]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

free_port() {
	local p
	for p in $(seq 55432 55532); do
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && [[ ! -e /tmp/.s.PGSQL.$p ]]; then
			echo "$p"
			return
		fi
	done
	echo "no free port found" >&2
	return 1
}

# cluster_start [extra postgres settings...]
cluster_start() {
	CLUSTER_DIR=$(mktemp -d /tmp/returning-cluster.XXXXXX)
	chmod 755 "$CLUSTER_DIR"
	[[ $(id -u) -eq 0 ]] && chown postgres: "$CLUSTER_DIR"
	PGPORT=$(free_port)
	PGHOST=$CLUSTER_DIR
	PGUSER=$([[ $(id -u) -eq 0 ]] && echo postgres || id -un)
	PGDATABASE=postgres
	export PGPORT PGHOST PGUSER PGDATABASE
	trap cluster_stop EXIT
	as_owner "$PG_BIN/initdb" -D "$CLUSTER_DIR/data" -A trust -E UTF8 --locale=C.UTF-8 >"$CLUSTER_DIR/initdb.log" 2>&1 ||
		{ cat "$CLUSTER_DIR/initdb.log"; return 1; }
	local opts="-p $PGPORT -k $CLUSTER_DIR -c listen_addresses= -c fsync=off -c full_page_writes=off"
	opts+=" -c synchronous_commit=off -c max_wal_size=4GB -c checkpoint_timeout=30min"
	local s
	for s in "$@"; do opts+=" -c $s"; done
	as_owner "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -o "$opts" -l "$CLUSTER_DIR/server.log" -w start >/dev/null ||
		{ cat "$CLUSTER_DIR/server.log"; return 1; }
}

cluster_stop() {
	[[ -n ${CLUSTER_DIR:-} && -d $CLUSTER_DIR/data ]] || return 0
	as_owner "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
	rm -rf "$CLUSTER_DIR"
	CLUSTER_DIR=
}
