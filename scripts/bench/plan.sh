#!/usr/bin/env bash
# plan.sh: how fast is `dist plan` on a repository with 2,000 commits,
# 1,000 tags and 300 pins, compared with `git describe --tags --abbrev=0`?
# Targets: within 3x of git describe, and under 200 ms.
#
# The distribution (generated with git fast-import): 2,000 commits on
# main; 1,000 release tags (0.0.0 to 19.49.0, alternately annotated and
# lightweight, the last one annotated) spread over the first 1,990, so
# the last tag is 10 commits below HEAD; ~100 files; a pypi lockfile of
# 300 pins with two sha256 hashes each (well-formed, not real: plan never
# touches the network), moved now and then through history; since the last
# tag 30 pins changed (27 upgrades, 3 major, 2 new, 1 removed): 20 in the
# 10 commits after the tag and 10 only in the work tree; VERSION 20.0.0.dev0
# and a CHANGELOG.md with an unreleased entry above 1,000 released ones.
#
# It is timed in three states: refs loose (as fast-import, tagging and
# fetching leave them), refs packed (git pack-refs --all, as a clone leaves
# them), and after git gc (packed refs, one pack, a commit-graph).
#
# Run from anywhere after `make build`. Knobs (environment):
#   DIST=path/to/dist    binary to time (default: <repo>/bin/dist)
#   BENCH_RUNS=20        timed runs per command (the median is reported)
#   BENCH_TMPDIR=dir     where the repositories go (default: $TMPDIR or /tmp)
#   BENCH_STRICT=1       exit 1 when a target is missed (default: report only)
#   BENCH_NO_HYPERFINE=1 time with date +%s.%N even when hyperfine is there
# Needs git and python3 (to write the fast-import stream). Nothing is
# installed by this script.
set -euo pipefail

RUNS=${BENCH_RUNS:-20}
COMMITS=2000
TAGS=1000
PINS=300
CHANGED=30
UNCOMMITTED=10

. "$(dirname "$0")/lib.sh"
bench_init plan plan
need_dist
need_tools git python3
# Both tools see the same git configuration: the repository's own only.
isolate_git

# ---- the distribution ----------------------------------------------------------
gen=$work/gen
gen_repo "$gen" "$COMMITS" "$TAGS" "$PINS" "$CHANGED" "$UNCOMMITTED" "" "$work/lock.final"
cp "$work/lock.final" "$gen/lockfiles/default.txt"
[[ $(git -C "$gen" status --porcelain --untracked-files=no) == " M lockfiles/default.txt" ]] || die "the work tree should change only the lockfile"
for state in loose packed gc; do
	cp -a "$gen" "$work/$state"
done
rm -rf "$gen"
git -C "$work/packed" pack-refs --all
git -C "$work/gc" gc -q
for state in loose packed gc; do
	git -C "$work/$state" update-index -q --refresh || true
done
d=$work/gc
log "commits: $(git -C "$d" rev-list --count HEAD), tags: $(git -C "$d" tag | wc -l) ($(git -C "$d" for-each-ref --format='%(objecttype)' refs/tags | grep -c '^tag$') annotated), files: $(git -C "$d" ls-files | wc -l), pins in the work tree: $(grep -c '^[a-z].*==' "$d/lockfiles/default.txt")"
log "loose refs: $(find "$work/loose/.git/refs/tags" -type f | wc -l) in loose/, $(find "$work/packed/.git/refs/tags" -type f | wc -l) in packed/"

# ---- check: dist plan and git describe agree on the base -------------------------
want=$(git -C "$d" describe --tags --abbrev=0)
for state in loose packed gc; do
	out=$("$DIST" -C "$work/$state" plan)
	base=$(printf '%s\n' "$out" | sed -n 's/^base: *\([^ ]*\) (tag \(.*\))$/\2/p')
	desc=$(git -C "$work/$state" describe --tags --abbrev=0)
	[[ $base == "$want" && $desc == "$want" ]] || { printf '%s\n' "$out" >&2; die "$state: dist's base is '$base', git describe says $desc, want $want"; }
done
reasons=$(printf '%s\n' "$out" | grep -c '^  [a-z]' || true)
log "dist plan (gc):"
printf '%s\n' "$out" | sed -n '1,9p' | sed 's/^/  /' >&2
log "  ... $reasons reasons in all"
[[ $reasons -ge $CHANGED ]] || die "expected at least $CHANGED reasons, dist plan gave $reasons"
next=$(printf '%s\n' "$out" | sed -n 's/^next: *//p') bump=$(printf '%s\n' "$out" | sed -n 's/^bump: *//p')

# ---- timing --------------------------------------------------------------------------
log_load "(other work on the machine skews wall times; CPU times are steadier)"
if ((hyperfine)); then log "timer: $(hyperfine --version), median of $RUNS after 3 warm-up runs"; else log "timer: date +%s.%N, median of $RUNS after 3 warm-up runs"; fi

declare -A dw dc gw gc_
for state in loose packed gc; do
	log "== $state: dist plan"
	time_ms "$DIST" -C "$work/$state" plan
	dw[$state]=$median dc[$state]=$cpu
	log "   $median ms (cpu $cpu ms)"
	log "== $state: git describe --tags --abbrev=0"
	time_ms git -C "$work/$state" describe --tags --abbrev=0
	gw[$state]=$median gc_[$state]=$cpu
	log "   $median ms (cpu $cpu ms)"
done

# For scale: starting the binary and doing nothing.
log "== dist --version (start-up only)"
time_ms "$DIST" --version
sw=$median sc=$cpu
log "   $median ms (cpu $cpu ms)"

# ---- summary ---------------------------------------------------------------------------
{
	echo
	echo "================ dist plan benchmark ================"
	echo "repository: $COMMITS commits, $TAGS tags (last $want, 10 commits below HEAD), $PINS pins, $CHANGED changed ($UNCOMMITTED only in the work tree)"
	echo "plan:       base $want, bump $bump, next $next, $reasons reasons"
	echo "machine:    $(nproc) CPUs, load average $(load_now) now; temp dir on $(fs_of "$work")"
	echo "timing:     $(timer_name), median of $RUNS after 3 warm-up runs"
	echo
	printf '  %-8s | %12s %12s | %14s %14s | %6s  %-8s %-8s\n' refs "dist ms" "dist cpu" "describe ms" "describe cpu" ratio "<= 3x" "< 200ms"
	for state in loose packed gc; do
		r=$(ratio "${dw[$state]}" "${gw[$state]}")
		target "$r" "<=" 3
		v1=$verdict
		target "${dw[$state]}" "<" 200
		v2=$verdict
		printf '  %-8s | %12s %12s | %14s %14s | %5sx  %-8s %-8s\n' "$state" "${dw[$state]}" "${dc[$state]}" "${gw[$state]}" "${gc_[$state]}" "$r" "$v1" "$v2"
	done
	printf '  %-8s | %12s %12s |   (dist --version: start-up alone, for scale)\n' "start-up" "$sw" "$sc"
	echo
	echo "  dist: dist -C DIR plan        git: git -C DIR describe --tags --abbrev=0"
	echo "====================================================="
}
bench_finish
