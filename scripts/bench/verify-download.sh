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

. "$(dirname "$0")/lib.sh"
bench_init verify-download verify
need_dist
OK_WORD=ok

# ---- the index -------------------------------------------------------------
go_build pyindex internal/testenv/pyindex/cmd/pyindex
dir=$work/distribution
pypi_distribution "$dir"
lockfile=$dir/lockfiles/default.txt

log "== starting pyindex: $PROJECTS projects x $FILES files x ~$SIZE_KB KB"
start_server pyindex "$work/index.out" "$work/pyindex" -addr 127.0.0.1:0 -projects "$PROJECTS" -files "$FILES" -size "$SIZE_KB" -lockfile "$lockfile"
index=$url
log "index: $index"

bytes_in() { find "$1" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%d", s }'; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }

log_load "(other work on the machine skews every figure)"
if ((hyperfine)); then log "timer: $(hyperfine --version), median of $RUNS"; else log "timer: bash date +%s.%N (hyperfine not installed or BENCH_NO_HYPERFINE=1), median of $RUNS"; fi

# ---- a. dist lock verify --download ------------------------------------------
# One untimed run checks the result and leaves the reference copy of all
# 900 files for sha256sum; it also warms the server, as every tool gets
# the same warm server and its own cold cache.
ref=$work/cache-ref
log ""
log "== check run: dist lock verify --download"
out=$(DIST_CACHE_DIR=$ref PIP_INDEX_URL=$index timeout -k 5 $CMD_TIMEOUT "$DIST" -C "$dir" lock verify --download 2>&1) ||
	{ printf '%s\n' "$out" >&2; die "dist lock verify --download failed"; }
printf '%s\n' "$out" >&2
dist_files=$(printf '%s\n' "$out" | sed -n 's/.*; \([0-9]*\) files\{0,1\} downloaded.*/\1/p')
[[ $dist_files == $((PROJECTS * FILES)) ]] || die "expected $((PROJECTS * FILES)) files downloaded, dist said: $out"
# Besides the files, proving the set complete reads each release's core
# metadata once: one PEP 658 metadata file per project. The cache names
# each file by its digest; the comparisons below take the locked ones.
all_files=$(find "$ref/sha256" -type f | wc -l)
[[ $all_files == $((dist_files + PROJECTS)) ]] || die "the cache holds $all_files files, expected $dist_files and $PROJECTS metadata files"
grep -o 'sha256:[0-9a-f]*' "$lockfile" | sed 's/^sha256://' | sort -u >"$work/locked.sums"
find "$ref/sha256" -type f | sort | awk -F/ 'NR == FNR { locked[$1] = 1; next } locked[$NF]' "$work/locked.sums" - | tr '\n' '\0' >"$work/files.list"
ref_files=$(tr -cd '\0' <"$work/files.list" | wc -c)
[[ $ref_files == "$dist_files" ]] || die "the cache holds $ref_files locked files, expected $dist_files"
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
	bash -c "timeout -k 5 $CMD_TIMEOUT $pip_cmd" >&2 || die "pip download failed"
	pip_files=$(find "$pip_dir" -type f | wc -l)
	pip_bytes=$(bytes_in "$pip_dir")
	log "pip downloaded $pip_files files, $(mb "$pip_bytes"), e.g. $(basename "$(find "$pip_dir" -type f -print -quit)")"
	[[ $pip_files == "$PROJECTS" ]] || die "expected pip to download $PROJECTS files"
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
cmp -s "$work/got.sums" "$work/want.sums" || die "the cached files do not hash to the lockfile's hashes"
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
{
	echo
	echo "================ dist lock verify --download benchmark ================"
	echo "index:    pyindex on 127.0.0.1, $PROJECTS projects x $FILES files x ~$SIZE_KB KB ($(mb "$dist_bytes") in $dist_files files)"
	echo "machine:  $(nproc) CPUs, load average $(load_now) now; temp dir on $(fs_of "$work")"
	echo "timing:   $(timer_name), median of $RUNS, every run with a cold cache"
	echo
	printf '  %-46s %s   %4s files  %s\n' "dist lock verify --download (--jobs 8, default)" "$(fmt_s "$t_dist")" "$dist_files" "$(mb "$dist_bytes")"
	printf '  %-46s %s\n' "dist --jobs 1 lock verify --download" "$(fmt_s "$t_dist1")"
	printf '  %-46s %s\n' "dist --jobs 32 lock verify --download" "$(fmt_s "$t_dist32")"
	if [[ -n $t_pip ]]; then
		printf '  %-46s %s   %4s files  %s\n' "pip download" "$(fmt_s "$t_pip")" "$pip_files" "$(mb "$pip_bytes")"
	fi
	printf '  %-46s %s   %4s files  %s\n' "sha256sum (1 process, files in page cache)" "$(fmt_s "$t_sum")" "$ref_files" "$(mb "$dist_bytes")"
	[[ -z $t_curl ]] || printf '  %-46s %s   %4s files  (reference only)\n' "curl --parallel-max 8 (bare transfer)" "$(fmt_s "$t_curl")" "$dist_files"
	echo
	echo "  pip:  python3 -m pip download $pip_flags -d DIR -r LOCKFILE --index-url INDEX"
	echo "        (PIP_FIND_LINKS unset, PIP_CONFIG_FILE=/dev/null; py3-none-any wheels only, nothing built)"
	echo "  dist: DIST_CACHE_DIR=<fresh> PIP_INDEX_URL=INDEX dist -C DIR [--jobs N] lock verify --download"
	echo
	if [[ -n $t_pip ]]; then
		r=$(ratio "$t_pip" "$t_dist")
		target "$r" ">=" 10
		echo "  pip / dist        = ${r}x   (target >= 10x: $verdict)"
		echo "        note: pip fetched $pip_files files ($(mb "$pip_bytes")), dist $dist_files ($(mb "$dist_bytes"));"
		echo "        per file, pip / dist = $(awk -v p="$t_pip" -v pf="$pip_files" -v d="$t_dist" -v df="$dist_files" 'BEGIN { printf "%.2fx", (p / pf) / (d / df) }')"
	else
		echo "  pip / dist        = n/a (pip not available)"
	fi
	r=$(ratio "$t_dist" "$t_sum")
	target "$r" "<=" 2
	echo "  dist / sha256sum  = ${r}x   (target <= 2x: $verdict)"
	[[ -z $t_curl ]] || echo "  curl / sha256sum  = $(ratio "$t_curl" "$t_sum")x   (the transfer alone, for scale)"
	echo "======================================================================="
}
bench_finish
