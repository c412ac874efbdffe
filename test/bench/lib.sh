# Helpers shared by the benchmark sections (test/bench/NN_*.sh). Sourced,
# never run: run.sh starts the cluster and exports PGHOST, PGPORT, PGUSER,
# BENCH_ROWS_SCALE, BENCH_ROUNDS, BENCH_TMP (a directory the server can read
# and write) and BENCH_SUMMARY (the file of summary lines).

BENCH_ROWS_SCALE=${BENCH_ROWS_SCALE:-1.0}
BENCH_ROUNDS=${BENCH_ROUNDS:-2}

bench_psql() {
	psql -X -q -v ON_ERROR_STOP=1 "$@"
}

# scaled N [minimum]: N times BENCH_ROWS_SCALE, rounded, at least minimum (default 1)
scaled() {
	awk -v n="$1" -v s="$BENCH_ROWS_SCALE" -v m="${2:-1}" \
		'BEGIN { v = int(n * s + 0.5); if (v < m) v = m; print v }'
}

# fresh_db NAME: (re)create an empty database
fresh_db() {
	PGOPTIONS="-c client_min_messages=warning" bench_psql -d postgres -c "drop database if exists $1" -c "create database $1"
}

# sql_ms DB SQL: run SQL (one or more statements) in one session and print
# its wall-clock time in milliseconds, measured by the server around it.
sql_ms() {
	bench_psql -At -d "$1" <<-SQL | tail -n 1
		\o /dev/null
		select clock_timestamp() as bench_t0 \gset
		$2
		;
		\o
		select round(extract(epoch from clock_timestamp() - :'bench_t0'::timestamptz)::numeric * 1000, 1);
	SQL
}

# sql_cpu_ms DB SQL: run SQL (one statement) in one session and print
# "WALL CPU": its wall-clock time and the CPU time of the server process
# that ran it, in milliseconds.  The CPU time is read from /proc (10 ms
# ticks); other load on the machine disturbs it less than the wall time.
sql_cpu_ms() {
	local pid t0 t1 c0 c1 done tick
	tick=$(getconf CLK_TCK)
	coproc BENCH_SESSION { bench_psql -At -d "$1"; }
	echo "select pg_backend_pid();" >&"${BENCH_SESSION[1]}"
	read -r pid <&"${BENCH_SESSION[0]}"
	c0=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
	t0=$(date +%s%N)
	printf '%s\n' '\o /dev/null' "$2;" '\o' 'select 1;' >&"${BENCH_SESSION[1]}"
	read -r done <&"${BENCH_SESSION[0]}"
	t1=$(date +%s%N)
	c1=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
	exec {BENCH_SESSION[1]}>&-
	wait "$BENCH_SESSION_PID" 2>/dev/null || true
	awk -v w=$((t1 - t0)) -v c=$((c1 - c0)) -v t="$tick" \
		'BEGIN { printf "%.1f %.1f\n", w / 1e6, c * 1000 / t }'
}

# Wall-clock seconds, for steps that are whole psql scripts
now_s() {
	date +%s.%N
}
elapsed_ms() {
	awk -v a="$1" -v b="$(now_s)" 'BEGIN { printf "%.1f\n", (b - a) * 1000 }'
}

# ratio A B: A / B with two decimals
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f\n", a / b; else print "-" }'
}

# min_of / median_of: of the numbers given as arguments
min_of() {
	printf '%s\n' "$@" | sort -g | head -n 1
}
median_of() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# summary SECTION MEASURE VALUE [RATIO] [NOTE]: one line of the final table
summary() {
	printf '%s|%s|%s|%s|%s\n' "$1" "$2" "$3" "${4:--}" "${5:-}" >>"$BENCH_SUMMARY"
}

# fmt_ms MS: milliseconds as a human-readable duration
fmt_ms() {
	awk -v v="$1" 'BEGIN { if (v >= 1000) printf "%.2f s\n", v / 1000; else printf "%.1f ms\n", v }'
}
