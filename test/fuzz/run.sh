#!/usr/bin/env bash
# Build the libFuzzer targets of the normalisers into a temporary directory
# and run each for a bounded time: test/fuzz/run.sh [seconds per target].
# Exits non-zero when a target crashes or reports a sanitizer error; the
# crashing input is kept and its path printed.
set -euo pipefail

seconds=${1:-20}
[[ $seconds =~ ^[0-9]+$ ]] || { echo "usage: $0 [seconds per target]" >&2; exit 2; }

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../../src" && pwd)

cc=$(command -v clang-14 || command -v clang || true)
cxx=$(command -v clang++-14 || command -v clang++ || true)
if [[ -z $cc || -z $cxx ]]; then
	echo "fuzz: clang is not installed (make deps installs it)" >&2
	exit 1
fi

work=$(mktemp -d /tmp/returning-fuzz.XXXXXX)
keep=0
cleanup() { ((keep)) || rm -rf "$work"; }
trap cleanup EXIT

flags=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -I"$src")

# Is libFuzzer with the sanitizer runtimes there?
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }\n' >"$work/probe.c"
if ! "$cc" "${flags[@]}" "$work/probe.c" -o "$work/probe" >"$work/probe.log" 2>&1; then
	echo "fuzz: $cc cannot build with -fsanitize=fuzzer,address,undefined; the libFuzzer and sanitizer runtimes (libclang-rt-14-dev) are missing (make deps installs them):" >&2
	head -5 "$work/probe.log" >&2
	exit 1
fi
if [[ ! -e /usr/include/phonenumbers/phonenumberutil.h ]]; then
	echo "fuzz: libphonenumber headers are missing (libphonenumber-dev; make deps installs it)" >&2
	exit 1
fi

"$cc" "${flags[@]}" -Wall -Wextra -Werror "$here/fuzz_email.c" "$src/email.c" -o "$work/fuzz_email"
"$cxx" "${flags[@]}" -std=c++17 -Wall -Wextra -Werror -Wno-unused-parameter \
	"$here/fuzz_phone.cpp" "$src/phone_shim.cpp" -lphonenumber -o "$work/fuzz_phone"

# Seed corpora
mkdir -p "$work/corpus_email" "$work/corpus_phone"
i=0
while IFS= read -r line; do
	printf '%s' "$line" >"$work/corpus_email/seed$((i++))"
done <<'SEEDS'
anna@example.de
  Anna.Muster@Example.DE  
"Muster, Anna" <anna+crm@example.co.uk>, bob@example.org
n/a; mailto:Info@Firma.de
Jürgen@Bücher.DE
<a@b.cd>
x@[192.0.2.1]
a..b@c.de
SEEDS
i=0
# the first byte picks the region (see fuzz_phone.cpp): 0 none, 1 DE, 3 GB, 4 US, 5 RU
while IFS= read -r line; do
	printf "$line" >"$work/corpus_phone/seed$((i++))"
done <<'SEEDS'
\x00+49 30 123456
\x000049 (0)30-123456
\x01030 123456
\x03020 7946 0018
\x04(650) 253-0000 ext. 12
\x041-800-FLOWERS
\x058 495 123-45-67
\x05tel:+7-495-123-45-67;ext=9
\x16+1 650 253 0000
SEEDS

status=0
summary=()
for target in fuzz_email fuzz_phone; do
	mkdir -p "$work/artifacts_$target"
	log=$work/$target.log
	rc=0
	"$work/$target" -max_total_time="$seconds" -max_len=1024 -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$work/artifacts_$target/" \
		"$work/corpus_${target#fuzz_}" >"$log" 2>&1 || rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
	corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
	if ((rc == 0)); then
		summary+=("$target: ok, ${runs:-?} runs in ${seconds}s, coverage ${cov:-?} edges, ${ft:-?} features, corpus ${corp:-?}")
	else
		status=1
		keep=1
		tail -40 "$log" >&2
		summary+=("$target: FAILED (exit $rc) after ${runs:-?} runs; input in $work/artifacts_$target/, log $log")
	fi
done

printf '%s\n' "${summary[@]}"
exit $status
