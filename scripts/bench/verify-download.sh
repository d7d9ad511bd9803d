#!/usr/bin/env bash
# verify-download.sh: how fast does `dist lock verify --download` fetch and
# re-hash a large lockfile, compared with pip downloading the same lockfile
# and with sha256sum hashing the same bytes already on disk?
#
# A local PEP 503/691 index (internal/testenv/pyindex/cmd/pyindex) serves
# 300 projects x 3 files of ~110 KB (~100 MB) on 127.0.0.1 and writes the
# matching hashed lockfile. Every timed run starts with a cold cache: a fresh
# DIST_CACHE_DIR for dist, --no-cache-dir and a fresh -d for pip.
#
# Run from anywhere after `make build`. Knobs (environment):
#   DIST=path/to/dist   binary to time (default: <repo>/bin/dist)
#   BENCH_RUNS=3        timed runs per command (the median is reported)
#   BENCH_TMPDIR=dir    where the index's lockfile, caches and downloads go
#                       (default: $TMPDIR or /tmp; try /dev/shm to take the
#                       disk out of the picture)
#   BENCH_STRICT=1      exit 1 when a target is missed (default: report only)
#   BENCH_NO_HYPERFINE=1 time with date +%s.%N even when hyperfine is there
# hyperfine is used when installed (apt-get install hyperfine); otherwise
# runs are timed with date +%s.%N. Nothing is installed by this script.
set -euo pipefail

PROJECTS=300
FILES=3
SIZE_KB=110
RUNS=${BENCH_RUNS:-3}
CMD_TIMEOUT=120 # seconds, per timed command

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DIST=${DIST:-$repo/bin/dist}
[[ -x $DIST ]] || { echo "verify-download: $DIST not found; run 'make build' first" >&2; exit 2; }
DIST=$(cd "$(dirname "$DIST")" && pwd)/$(basename "$DIST")

work=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/dist-bench-verify.XXXXXX")
[[ $work != *[[:space:]]* ]] || { echo "verify-download: temp dir must not contain spaces: $work" >&2; rm -rf "$work"; exit 2; }
server_pid=
cleanup() {
	if [[ -n $server_pid ]]; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '%s\n' "$*" >&2; }
have() { command -v "$1" >/dev/null 2>&1; }
hyperfine=0
if [[ ${BENCH_NO_HYPERFINE:-0} != 1 ]] && have hyperfine; then hyperfine=1; fi

# ---- the index -------------------------------------------------------------
log "== building pyindex"
(cd "$repo" && timeout 300 go build -o "$work/pyindex" ./internal/testenv/pyindex/cmd/pyindex)

dir=$work/distribution
mkdir -p "$dir/lockfiles"
cat >"$dir/dist.yaml" <<'EOF'
name: bench
lockfiles:
  - path: lockfiles/default.txt
    ecosystem: pypi
EOF
lockfile=$dir/lockfiles/default.txt

log "== starting pyindex: $PROJECTS projects x $FILES files x ~$SIZE_KB KB"
"$work/pyindex" -addr 127.0.0.1:0 -projects "$PROJECTS" -files "$FILES" -size "$SIZE_KB" \
	-lockfile "$lockfile" >"$work/index.out" 2>"$work/index.err" &
server_pid=$!
for ((i = 0; i < 600; i++)); do
	[[ -s $work/index.out ]] && break
	kill -0 "$server_pid" 2>/dev/null || { cat "$work/index.err" >&2; echo "verify-download: pyindex exited" >&2; exit 1; }
	sleep 0.1
done
index=$(head -n1 "$work/index.out")
[[ $index == http://127.0.0.1:* ]] || { cat "$work/index.err" >&2; echo "verify-download: pyindex did not start in 60s" >&2; exit 1; }
cat "$work/index.err" >&2
log "index: $index"

# ---- timing helpers ----------------------------------------------------------
# timeit NAME PREPARE COMMAND: run PREPARE then time COMMAND (both bash
# strings), RUNS times; sets $median (seconds).
median=
timeit() {
	local name=$1 prepare=$2 cmd=$3
	log ""
	log "== $name"
	if ((hyperfine)); then
		local json=$work/hf.json
		timeout -k 5 $((RUNS * CMD_TIMEOUT + 30)) hyperfine --style basic --shell bash \
			--runs "$RUNS" --prepare "$prepare" --command-name "$name" --export-json "$json" \
			"timeout -k 5 $CMD_TIMEOUT $cmd" >&2
		median=$(grep -o '"median": *[0-9.eE+-]*' "$json" | head -n1 | sed 's/.*: *//')
	else
		local times=() t0 t1 r
		for ((r = 1; r <= RUNS; r++)); do
			bash -c "$prepare"
			t0=$(date +%s.%N)
			bash -c "timeout -k 5 $CMD_TIMEOUT $cmd" >/dev/null 2>&1 || { log "$name: run $r failed"; return 1; }
			t1=$(date +%s.%N)
			times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')")
			log "  run $r: ${times[-1]} s"
		done
		median=$(printf '%s\n' "${times[@]}" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
	fi
	log "  median: $median s"
}
bytes_in() { find "$1" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%d", s }'; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }

log ""
log "load average before timing: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs (other work on the machine skews every figure)"
if ((hyperfine)); then log "timer: $(hyperfine --version), median of $RUNS"; else log "timer: bash date +%s.%N (hyperfine not installed or BENCH_NO_HYPERFINE=1), median of $RUNS"; fi

# ---- a. dist lock verify --download ------------------------------------------
# One untimed run checks the result and leaves the reference copy of all
# 900 files for sha256sum; it also warms the server, as every tool gets
# the same warm server and its own cold cache.
ref=$work/cache-ref
log ""
log "== check run: dist lock verify --download"
out=$(DIST_CACHE_DIR=$ref PIP_INDEX_URL=$index timeout -k 5 $CMD_TIMEOUT "$DIST" -C "$dir" lock verify --download 2>&1) ||
	{ printf '%s\n' "$out" >&2; echo "verify-download: dist lock verify --download failed" >&2; exit 1; }
printf '%s\n' "$out" >&2
dist_files=$(printf '%s\n' "$out" | sed -n 's/.*; \([0-9]*\) files\{0,1\} downloaded.*/\1/p')
[[ $dist_files == $((PROJECTS * FILES)) ]] || { echo "verify-download: expected $((PROJECTS * FILES)) files downloaded, dist said: $out" >&2; exit 1; }
find "$ref/sha256" -type f -print0 | sort -z >"$work/files.list"
ref_files=$(tr -cd '\0' <"$work/files.list" | wc -c)
[[ $ref_files == "$dist_files" ]] || { echo "verify-download: the cache holds $ref_files files, expected $dist_files" >&2; exit 1; }
dist_bytes=$(bytes_in "$ref/sha256")

cache=$work/cache
dist_cmd() { printf 'env DIST_CACHE_DIR=%q PIP_INDEX_URL=%q %q -C %q %s lock verify --download' "$cache" "$index" "$DIST" "$dir" "$1"; }
timeit "dist lock verify --download (default --jobs)" "rm -rf $(printf %q "$cache")" "$(dist_cmd '')"
t_dist=$median
timeit "dist --jobs 1 lock verify --download" "rm -rf $(printf %q "$cache")" "$(dist_cmd '--jobs 1')"
t_dist1=$median
timeit "dist --jobs 32 lock verify --download" "rm -rf $(printf %q "$cache")" "$(dist_cmd '--jobs 32')"
t_dist32=$median
rm -rf "$cache"

# ---- b. pip download ---------------------------------------------------------
# pip downloads one file per pin. --only-binary=:all: with --platform any and
# --python-version 3.12 makes it pick the py3-none-any wheel of each project,
# so nothing is built (no sdist, no metadata preparation). PIP_FIND_LINKS and
# config files are ignored so that only the local index is used; the version
# check is off so that pip makes no other request.
pip_flags="--require-hashes --no-deps --no-cache-dir --only-binary=:all: --python-version 3.12 --platform any --progress-bar off -q"
pip_dir=$work/pip
pip_cmd="env -u PIP_FIND_LINKS -u PIP_EXTRA_INDEX_URL -u PIP_INDEX_URL PIP_CONFIG_FILE=/dev/null PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 python3 -m pip download $pip_flags -d $(printf %q "$pip_dir") -r $(printf %q "$lockfile") --index-url $(printf %q "$index")"
t_pip=
if have python3 && python3 -m pip --version >/dev/null 2>&1; then
	log ""
	log "== check run: pip download ($(python3 -m pip --version | cut -d' ' -f1-2), $(python3 --version))"
	rm -rf "$pip_dir"
	bash -c "timeout -k 5 $CMD_TIMEOUT $pip_cmd" >&2 || { echo "verify-download: pip download failed" >&2; exit 1; }
	pip_files=$(find "$pip_dir" -type f | wc -l)
	pip_bytes=$(bytes_in "$pip_dir")
	log "pip downloaded $pip_files files, $(mb "$pip_bytes"), e.g. $(basename "$(find "$pip_dir" -type f -print -quit)")"
	[[ $pip_files == "$PROJECTS" ]] || { echo "verify-download: expected pip to download $PROJECTS files" >&2; exit 1; }
	timeit "pip download" "rm -rf $(printf %q "$pip_dir")" "$pip_cmd"
	t_pip=$median
	rm -rf "$pip_dir"
else
	log "python3 -m pip is not available: skipping the pip comparison"
fi

# ---- c. sha256sum over the same 900 files ------------------------------------
# The files dist downloaded are in the page cache, so this is the cost of
# hashing alone, in one process (sha256sum is single-threaded).
log ""
log "== check run: sha256sum over the $ref_files cached files"
xargs -0 -a "$work/files.list" sha256sum | awk '{ print $1 }' | sort >"$work/got.sums"
grep -o 'sha256:[0-9a-f]*' "$lockfile" | sed 's/^sha256://' | sort >"$work/want.sums"
cmp -s "$work/got.sums" "$work/want.sums" || { echo "verify-download: the cached files do not hash to the lockfile's hashes" >&2; exit 1; }
log "all $ref_files files hash to the lockfile's $(wc -l <"$work/want.sums") hashes"
timeit "sha256sum ($ref_files files, one process)" "true" "xargs -0 -a $(printf %q "$work/files.list") sha256sum >/dev/null"
t_sum=$median

# ---- reference: the bare transfer -------------------------------------------
# curl fetching the same 900 files (8 at a time, into a directory) is the
# floor for any client on this index and machine: it shows how much of
# dist's time the server and loopback take before dist does anything.
t_curl=
if have curl && [[ $(curl --help all 2>/dev/null || true) == *--parallel-max* ]]; then
	base=${index%/}
	base=${base%/simple}
	for ((i = 1; i <= PROJECTS; i++)); do printf 'url = "%s/bench-pkg-%04d/"\n' "${index%/}" "$i"; done >"$work/pages.curl"
	timeout 60 curl -sSf -K "$work/pages.curl" | grep -o 'href="[^"#]*' | sed "s|^href=\"\.\./\.\./|url = \"$base/|; s|\$|\"|" >"$work/files.curl"
	if [[ $(wc -l <"$work/files.curl") == "$dist_files" ]]; then
		curl_dir=$work/curl
		timeit "curl, the bare transfer ($dist_files files, --parallel-max 8)" \
			"rm -rf $(printf %q "$curl_dir") && mkdir -p $(printf %q "$curl_dir")" \
			"bash -c 'cd $(printf %q "$curl_dir") && curl -sSf --parallel --parallel-max 8 --remote-name-all -K $(printf %q "$work/files.curl")'"
		t_curl=$median
		rm -rf "$curl_dir"
	else
		log "could not list the index's files for curl: skipping the transfer floor"
	fi
fi

# ---- summary -----------------------------------------------------------------
fmt() { [[ -n $1 ]] && awk -v t="$1" 'BEGIN { printf "%8.3f s", t }' || printf '%10s' "n/a"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
verdict() { awk -v r="$1" -v t="$3" -v op="$2" 'BEGIN { ok = (op == ">=") ? r >= t : r <= t; printf "%s", ok ? "ok" : "MISSED" }'; }
missed=0
{
	echo
	echo "================ dist lock verify --download benchmark ================"
	echo "index:    pyindex on 127.0.0.1, $PROJECTS projects x $FILES files x ~$SIZE_KB KB ($(mb "$dist_bytes") in $dist_files files)"
	echo "machine:  $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) now; temp dir on $(df --output=fstype "$work" | tail -n1)"
	echo "timing:   $( ((hyperfine)) && hyperfine --version || echo 'bash date +%s.%N'), median of $RUNS, every run with a cold cache"
	echo
	printf '  %-46s %s   %4s files  %s\n' "dist lock verify --download (--jobs 8, default)" "$(fmt "$t_dist")" "$dist_files" "$(mb "$dist_bytes")"
	printf '  %-46s %s\n' "dist --jobs 1 lock verify --download" "$(fmt "$t_dist1")"
	printf '  %-46s %s\n' "dist --jobs 32 lock verify --download" "$(fmt "$t_dist32")"
	if [[ -n $t_pip ]]; then
		printf '  %-46s %s   %4s files  %s\n' "pip download" "$(fmt "$t_pip")" "$pip_files" "$(mb "$pip_bytes")"
	fi
	printf '  %-46s %s   %4s files  %s\n' "sha256sum (1 process, files in page cache)" "$(fmt "$t_sum")" "$ref_files" "$(mb "$dist_bytes")"
	[[ -z $t_curl ]] || printf '  %-46s %s   %4s files  (reference only)\n' "curl --parallel-max 8 (bare transfer)" "$(fmt "$t_curl")" "$dist_files"
	echo
	echo "  pip:  python3 -m pip download $pip_flags -d DIR -r LOCKFILE --index-url INDEX"
	echo "        (PIP_FIND_LINKS unset, PIP_CONFIG_FILE=/dev/null; py3-none-any wheels only, nothing built)"
	echo "  dist: DIST_CACHE_DIR=<fresh> PIP_INDEX_URL=INDEX dist -C DIR [--jobs N] lock verify --download"
	echo
	if [[ -n $t_pip ]]; then
		r=$(ratio "$t_pip" "$t_dist")
		v=$(verdict "$r" ">=" 10)
		[[ $v == ok ]] || missed=1
		echo "  pip / dist        = ${r}x   (target >= 10x: $v)"
		echo "        note: pip fetched $pip_files files ($(mb "$pip_bytes")), dist $dist_files ($(mb "$dist_bytes"));"
		echo "        per file, pip / dist = $(awk -v p="$t_pip" -v pf="$pip_files" -v d="$t_dist" -v df="$dist_files" 'BEGIN { printf "%.2fx", (p / pf) / (d / df) }')"
	else
		echo "  pip / dist        = n/a (pip not available)"
	fi
	r=$(ratio "$t_dist" "$t_sum")
	v=$(verdict "$r" "<=" 2)
	[[ $v == ok ]] || missed=1
	echo "  dist / sha256sum  = ${r}x   (target <= 2x: $v)"
	[[ -z $t_curl ]] || echo "  curl / sha256sum  = $(ratio "$t_curl" "$t_sum")x   (the transfer alone, for scale)"
	echo "======================================================================="
}
if [[ $missed == 1 && ${BENCH_STRICT:-0} == 1 ]]; then
	exit 1
fi
