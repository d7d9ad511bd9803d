#!/usr/bin/env bash
# lock-add-jobs.sh: what does --jobs buy `dist lock add` when it pins 100
# projects at once into an empty lockfile?
#
# A local PEP 503/691 index (internal/testenv/pyindex/cmd/pyindex) serves
# 100 projects with small files on 127.0.0.1. Each timed run starts from an
# empty lockfile and a fresh DIST_CACHE_DIR, with the default --jobs and with
# --jobs 1.
#
# On loopback a request costs well under a millisecond, so concurrency has
# little to hide. pyindex has no flag to add latency, so the script also runs
# both variants through a small reverse proxy (built from this file into the
# temp dir, standard library only) that delays every request, as a real
# index's round trip would.
#
# Run from anywhere after `make build`. Knobs (environment):
#   DIST=path/to/dist    binary to time (default: <repo>/bin/dist)
#   BENCH_RUNS=3         timed runs per command (the median is reported)
#   BENCH_LATENCY_MS=20  per-request delay of the proxy; 0 skips that part
#   BENCH_TMPDIR=dir     where the temp files go (default: $TMPDIR or /tmp)
#   BENCH_NO_HYPERFINE=1 time with date +%s.%N even when hyperfine is there
# hyperfine is used when installed; otherwise runs are timed with
# date +%s.%N. Nothing is installed by this script.
set -euo pipefail

PROJECTS=100
RUNS=${BENCH_RUNS:-3}
LATENCY_MS=${BENCH_LATENCY_MS:-20}
CMD_TIMEOUT=60 # seconds, per timed command

. "$(dirname "$0")/lib.sh"
bench_init lock-add-jobs add
need_dist
[[ $LATENCY_MS =~ ^[0-9]+$ ]] || setup_error "BENCH_LATENCY_MS must be a whole number of milliseconds"

# ---- the index, and the latency proxy in front of it -------------------------
go_build pyindex internal/testenv/pyindex/cmd/pyindex
log "== starting pyindex: $PROJECTS projects, small files"
start_server pyindex "$work/index.out" "$work/pyindex" -addr 127.0.0.1:0 -projects "$PROJECTS" -files 3 -size 1
index=$url
log "index: $index"

proxy_index=
if ((LATENCY_MS > 0)); then
	log "== building the latency proxy (${LATENCY_MS} ms per request)"
	mkdir -p "$work/delayproxy"
	printf 'module delayproxy\n\ngo 1.22\n' >"$work/delayproxy/go.mod"
	cat >"$work/delayproxy/main.go" <<'EOF'
// delayproxy forwards every request to -to after sleeping -delay, to give a
// loopback server the round trip of a real one.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"
)

func main() {
	to := flag.String("to", "", "backend base URL")
	delay := flag.Duration("delay", 20*time.Millisecond, "delay before each request")
	flag.Parse()
	u, err := url.Parse(*to)
	if err != nil || u.Host == "" {
		log.Fatalf("bad -to %q", *to)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = &http.Transport{MaxIdleConnsPerHost: 256}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("http://%s\n", ln.Addr())
	log.Fatal(http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(*delay)
		rp.ServeHTTP(w, r)
	})))
}
EOF
	(cd "$work/delayproxy" && GOWORK=off GOFLAGS= timeout 120 go build -o "$work/delayproxy/delayproxy" .)
	base=${index%/}
	base=${base%/simple}
	start_server delayproxy "$work/proxy.out" "$work/delayproxy/delayproxy" -to "$base" -delay "${LATENCY_MS}ms"
	proxy_index=$url/simple/
	log "proxy: $proxy_index -> $index"
fi

# ---- the distribution ---------------------------------------------------------
dir=$work/distribution
pypi_distribution "$dir"
lockfile=$dir/lockfiles/default.txt
: >"$lockfile"
names=$(for ((i = 1; i <= PROJECTS; i++)); do printf 'bench-pkg-%04d ' "$i"; done)
cache=$work/cache

prepare=": >$(printf %q "$lockfile") && rm -rf $(printf %q "$cache")"
add_cmd() { printf 'env DIST_CACHE_DIR=%q %q -C %q %s lock add -f lockfiles/default.txt --index-url %q %s' "$cache" "$DIST" "$dir" "$2" "$1" "$names"; }

# check IDX: one untimed run that must pin every project with its 3 hashes.
check() {
	local out
	bash -c "$prepare"
	out=$(timeout -k 5 $CMD_TIMEOUT bash -c "$(add_cmd "$1" '')" 2>&1) ||
		{ printf '%s\n' "$out" >&2; die "dist lock add failed"; }
	local added pinned hashes
	added=$(printf '%s\n' "$out" | grep -c ': added bench-pkg-.*(3 hashes)$' || true)
	pinned=$(grep -c '^bench-pkg-[0-9]*==' "$lockfile" || true)
	hashes=$(grep -c -- '--hash=sha256:' "$lockfile" || true)
	log "check: dist reported $added added, the lockfile has $pinned pins and $hashes hashes"
	[[ $added == "$PROJECTS" && $pinned == "$PROJECTS" && $hashes == $((PROJECTS * 3)) ]] ||
		{ printf '%s\n' "$out" >&2; die "expected $PROJECTS pins with 3 hashes each"; }
}

log_load

check "$index"
timeit "lock add x$PROJECTS, loopback, default --jobs" "$prepare" "$(add_cmd "$index" '')"
t_def=$median
timeit "lock add x$PROJECTS, loopback, --jobs 1" "$prepare" "$(add_cmd "$index" '--jobs 1')"
t_one=$median

t_def_l= t_one_l=
if [[ -n $proxy_index ]]; then
	check "$proxy_index"
	timeit "lock add x$PROJECTS, +${LATENCY_MS} ms/request, default --jobs" "$prepare" "$(add_cmd "$proxy_index" '')"
	t_def_l=$median
	timeit "lock add x$PROJECTS, +${LATENCY_MS} ms/request, --jobs 1" "$prepare" "$(add_cmd "$proxy_index" '--jobs 1')"
	t_one_l=$median
fi

# ---- summary -----------------------------------------------------------------
{
	echo
	echo "================ dist lock add --jobs benchmark ================"
	echo "index:    pyindex on 127.0.0.1, $PROJECTS projects x 3 files x ~1 KB; empty lockfile, cold cache each run"
	echo "machine:  $(nproc) CPUs, load average $(load_now) now"
	echo "timing:   $(timer_name), median of $RUNS"
	echo "command:  dist -C DIR [--jobs 1] lock add -f lockfiles/default.txt --index-url INDEX bench-pkg-0001 ... bench-pkg-$(printf %04d "$PROJECTS")"
	echo
	printf '  %-40s %s\n' "loopback, default --jobs (8)" "$(fmt_s "$t_def")"
	printf '  %-40s %s\n' "loopback, --jobs 1" "$(fmt_s "$t_one")"
	echo "  --jobs 1 / default = $(ratio "$t_one" "$t_def")x"
	if [[ -n $t_def_l ]]; then
		echo
		printf '  %-40s %s\n' "+${LATENCY_MS} ms per request, default --jobs (8)" "$(fmt_s "$t_def_l")"
		printf '  %-40s %s\n' "+${LATENCY_MS} ms per request, --jobs 1" "$(fmt_s "$t_one_l")"
		echo "  --jobs 1 / default = $(ratio "$t_one_l" "$t_def_l")x"
		echo "  (pyindex has no latency flag: the delay comes from a reverse proxy this script builds)"
	fi
	echo "================================================================"
}
bench_finish
