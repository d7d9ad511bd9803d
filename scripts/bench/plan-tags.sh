#!/usr/bin/env bash
# plan-tags.sh: how fast does dist find the base of a plan (the highest
# release tag reachable from HEAD, gitrepo.LatestReleaseTag) compared with
# `git describe --tags --abbrev=0` (the nearest tag) on the issue's
# repository: 2,000 commits and 1,000 release tags on main, half of them
# annotated, plus a 10.0.x maintenance branch of 20 commits forked at 10.0.0.
#
# Each repository is timed in three states: refs loose (as tagging and
# fetching leave them), refs packed (as a clone leaves them), and after git
# gc (packed refs and a commit-graph); and from two places: main (the base
# is the tag on HEAD) and the maintenance branch (every higher tag on main
# must be proven unreachable, a walk of the whole history).
#
# The timed command is internal/gitrepo/cmd/tagbench: a process that opens
# the repository and runs LatestReleaseTag with internal/version's PEP 440
# parsing, as `dist plan` does before it diffs anything.
#
# Knobs (environment):
#   BENCH_RUNS=30       timed runs per command (the median is reported)
#   BENCH_TMPDIR=dir    where the repositories go (default: $TMPDIR or /tmp)
#   BENCH_STRICT=1      exit 1 when a target is missed (default: report only)
# hyperfine is used when installed; otherwise runs are timed with date.
# Nothing is installed by this script.
set -euo pipefail

RUNS=${BENCH_RUNS:-30}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/dist-bench-tags.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

log() { printf '%s\n' "$*" >&2; }
have() { command -v "$1" >/dev/null 2>&1; }
hyperfine=0
if [[ ${BENCH_NO_HYPERFINE:-0} != 1 ]] && have hyperfine; then hyperfine=1; fi

log "== building tagbench"
(cd "$repo" && go build -o "$work/tagbench" ./internal/gitrepo/cmd/tagbench)

log "== generating the repositories (git fast-import)"
for state in loose packed gc; do
	"$work/tagbench" gen "$work/$state" -commits 2000 -tags 1000 -maint 20
done
git -C "$work/packed" pack-refs --all
git -C "$work/gc" gc -q
log "commits on main: $(git -C "$work/gc" rev-list --count main), tags: $(git -C "$work/gc" tag | wc -l)"

# timeit CMD: sets $median (wall, ms) and $cpu (user+system, ms).
median= cpu=
timeit() {
	local dir=$1 cmd=$2
	if ((hyperfine)); then
		local json=$work/hf.json
		(cd "$dir" && hyperfine -N --style none --warmup 3 --runs "$RUNS" --export-json "$json" "$cmd" >/dev/null)
		median=$(grep -o '"median": *[0-9.eE+-]*' "$json" | head -n1 | sed 's/.*: *//' | awk '{ printf "%.1f", $1 * 1000 }')
		cpu=$(awk -F': *' '/"user"/ { u = $2 } /"system"/ { s = $2 } END { printf "%.1f", (u + s) * 1000 }' "$json" | tr -d ',')
	else
		local times=() t0 t1 r
		for ((r = 1; r <= RUNS; r++)); do
			t0=$(date +%s.%N)
			(cd "$dir" && $cmd >/dev/null)
			t1=$(date +%s.%N)
			times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) * 1000 }')")
		done
		median=$(printf '%s\n' "${times[@]}" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
		cpu=n/a
	fi
}

log ""
log "load average before timing: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs (other work on the machine skews wall times; CPU times are steadier)"
if ((hyperfine)); then log "timer: $(hyperfine --version), median of $RUNS after 3 warm-up runs"; else log "timer: date +%s.%N, median of $RUNS"; fi

# The floor: starting the same binary and exiting, before any git work. Go
# programs linking go-git start far slower than git on some virtual
# machines (page faults of a larger static binary); dist pays it too.
timeit "$work/gc" "$work/tagbench noop"
log "floor: starting tagbench and exiting at once: $median ms wall, $cpu ms CPU"
floor_wall=$median

missed=0
printf '\n%-8s %-7s %-9s | %14s %14s %14s | %14s %14s | %6s %6s\n' state branch base "dist wall ms" "dist cpu ms" "less floor" "describe wall" "describe cpu" ratio "ratio-floor"
for state in loose packed gc; do
	for branch in main 10.0.x; do
		dir=$work/$state
		git -C "$dir" checkout -q "$branch"
		want=19.49.0
		[[ $branch == main ]] || want=10.0.10
		got=$(cd "$dir" && "$work/tagbench" latest)
		desc=$(git -C "$dir" describe --tags --abbrev=0)
		[[ $got == "$want" && $desc == "$want" ]] || { log "plan-tags: $state/$branch: tagbench says $got, git describe $desc, want $want"; exit 1; }
		timeit "$dir" "$work/tagbench latest"
		d_wall=$median d_cpu=$cpu
		timeit "$dir" "git describe --tags --abbrev=0"
		g_wall=$median g_cpu=$cpu
		ratio=$(awk -v a="$d_wall" -v b="$g_wall" 'BEGIN { printf "%.1fx", a / b }')
		net=$(awk -v a="$d_wall" -v f="$floor_wall" 'BEGIN { printf "%.1f", a - f }')
		ratio_net=$(awk -v a="$net" -v b="$g_wall" 'BEGIN { printf "%.1fx", a / b }')
		printf '%-8s %-7s %-9s | %14s %14s %14s | %14s %14s | %6s %6s\n' "$state" "$branch" "$got" "$d_wall" "$d_cpu" "$net" "$g_wall" "$g_cpu" "$ratio" "$ratio_net"
		awk -v a="$d_wall" 'BEGIN { exit !(a >= 200) }' && { log "  target missed: $state/$branch over 200 ms"; missed=1; }
		awk -v a="$d_wall" -v b="$g_wall" 'BEGIN { exit !(a > 3 * b) }' && { log "  target missed: $state/$branch over 3x git describe"; missed=1; }
	done
done
if ((missed)) && [[ ${BENCH_STRICT:-0} == 1 ]]; then exit 1; fi
exit 0
