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
. "$(dirname "$0")/lib.sh"
bench_init plan-tags tags
DATE_WARMUP=0 # hyperfine warms up 3 times; the date timer does not

go_build tagbench internal/gitrepo/cmd/tagbench

log "== generating the repositories (git fast-import)"
for state in loose packed gc; do
	"$work/tagbench" gen "$work/$state" -commits 2000 -tags 1000 -maint 20
done
git -C "$work/packed" pack-refs --all
git -C "$work/gc" gc -q
log "commits on main: $(git -C "$work/gc" rev-list --count main), tags: $(git -C "$work/gc" tag | wc -l)"

log_load "(other work on the machine skews wall times; CPU times are steadier)"
if ((hyperfine)); then log "timer: $(hyperfine --version), median of $RUNS after 3 warm-up runs"; else log "timer: date +%s.%N, median of $RUNS"; fi

# The floor: starting the same binary and exiting, before any git work. Go
# programs linking go-git start far slower than git on some virtual
# machines (page faults of a larger static binary); dist pays it too.
time_ms -C "$work/gc" "$work/tagbench" noop
log "floor: starting tagbench and exiting at once: $median ms wall, $cpu ms CPU"
floor_wall=$median

printf '\n%-8s %-7s %-9s | %14s %14s %14s | %14s %14s | %6s %6s\n' state branch base "dist wall ms" "dist cpu ms" "less floor" "describe wall" "describe cpu" ratio "ratio-floor"
for state in loose packed gc; do
	for branch in main 10.0.x; do
		dir=$work/$state
		git -C "$dir" checkout -q "$branch"
		want=19.49.0
		[[ $branch == main ]] || want=10.0.10
		got=$(cd "$dir" && "$work/tagbench" latest)
		desc=$(git -C "$dir" describe --tags --abbrev=0)
		[[ $got == "$want" && $desc == "$want" ]] || die "$state/$branch: tagbench says $got, git describe $desc, want $want"
		time_ms -C "$dir" "$work/tagbench" latest
		d_wall=$median d_cpu=$cpu
		time_ms -C "$dir" git describe --tags --abbrev=0
		g_wall=$median g_cpu=$cpu
		net=$(awk -v a="$d_wall" -v f="$floor_wall" 'BEGIN { printf "%.1f", a - f }')
		printf '%-8s %-7s %-9s | %14s %14s %14s | %14s %14s | %6s %6s\n' "$state" "$branch" "$got" "$d_wall" "$d_cpu" "$net" "$g_wall" "$g_cpu" "$(ratio "$d_wall" "$g_wall" 1)x" "$(ratio "$net" "$g_wall" 1)x"
		target "$d_wall" "<" 200
		[[ $verdict != MISSED ]] || log "  target missed: $state/$branch over 200 ms"
		target "$d_wall" "<=" "$(awk -v b="$g_wall" 'BEGIN { printf "%.4f", 3 * b }')"
		[[ $verdict != MISSED ]] || log "  target missed: $state/$branch over 3x git describe"
	done
done
bench_finish
