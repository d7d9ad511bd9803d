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

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DIST=${DIST:-$repo/bin/dist}
[[ -x $DIST ]] || { echo "plan: $DIST not found; run 'make build' first" >&2; exit 2; }
DIST=$(cd "$(dirname "$DIST")" && pwd)/$(basename "$DIST")
for tool in git python3; do
	command -v "$tool" >/dev/null || { echo "plan: $tool is needed" >&2; exit 2; }
done

work=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/dist-bench-plan.XXXXXX")
[[ $work != *[[:space:]]* ]] || { echo "plan: temp dir must not contain spaces: $work" >&2; rm -rf "$work"; exit 2; }
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

log() { printf '%s\n' "$*" >&2; }
have() { command -v "$1" >/dev/null 2>&1; }
hyperfine=0
if [[ ${BENCH_NO_HYPERFINE:-0} != 1 ]] && have hyperfine; then hyperfine=1; fi

# Both tools see the same git configuration: the repository's own only.
: >"$work/gitconfig"
export GIT_CONFIG_GLOBAL=$work/gitconfig GIT_CONFIG_NOSYSTEM=1
unset GIT_DIR GIT_WORK_TREE

# ---- the distribution ----------------------------------------------------------
# gen.py writes a fast-import stream on stdout: COMMITS commits on main, TAGS
# tags over the first COMMITS-10 of them, the last 10 committing CHANGED pin
# changes (minus UNCOMMITTED, which go only to the LOCKFILE_OUT copy for the
# work tree), then the final CHANGELOG.md and VERSION. (The same generator
# as release-cycle.sh's.)
cat >"$work/gen.py" <<'PY'
import hashlib, sys, time

commits, tags, pins, changed, uncommitted = (int(a) for a in sys.argv[1:6])
api, lock_out = sys.argv[6], sys.argv[7]
tail, files = 10, 100
T = commits - tail
assert T >= 1 and tags >= 1
out = sys.stdout
epoch = 1577836800  # 2020-01-01

def data(s):  # ASCII only
    out.write("data %d\n%s\n" % (len(s.encode()), s))

def tagv(k): return "%d.%d.0" % (k // 50, k % 50)
final = "%d.0.0" % ((tags - 1) // 50 + 1)

def lockfile(state):
    lines = ["# Pinned with hashes: pip install --require-hashes -r lockfiles/default.txt\n"]
    for name in sorted(state):
        v = state[name]
        h = [hashlib.sha256(("%s==%s#%d" % (name, v, j)).encode()).hexdigest() for j in range(2)]
        lines.append("%s==%s \\\n    --hash=sha256:%s \\\n    --hash=sha256:%s\n" % (name, v, h[0], h[1]))
    return "".join(lines)

state = {"bench-pkg-%04d" % i: "%d.%d.%d" % (1 + i % 5, i % 10, i % 7) for i in range(1, pins + 1)}
manifest = "name: bench-dist\nlockfiles:\n  - path: lockfiles/default.txt\n    ecosystem: pypi\n"
if api:
    manifest += "github:\n  repository: bench/bench-dist\n  api_url: %s\n" % api

tag_at = {}
for k in range(tags):
    c = max(1, T - (tags - 1 - k) * T // tags)
    tag_at.setdefault(c, []).append(k)
tag_list = []
nextk = 0
when = {}

def commit(c, msg, mods):
    t = epoch + c * 3600
    out.write("commit refs/heads/main\nmark :%d\n" % c)
    out.write("author Dist Bench <bench@example.com> %d +0000\n" % t)
    out.write("committer Dist Bench <bench@example.com> %d +0000\n" % t)
    data(msg)
    if c > 1:
        out.write("from :%d\n" % (c - 1))
    for path, body in mods:
        out.write("M 100644 inline %s\n" % path)
        data(body)
    out.write("\n")

def page(i, rev):
    return "# Page %d\n\nRevision %d.\n\n%s" % (i, rev, ("Lorem ipsum dolor sit amet, consectetur adipiscing elit. %d\n" % i) * 16)

for c in range(1, T + 1):
    mods = []
    if c == 1:
        mods += [("dist.yaml", manifest), ("README.md", "# bench-dist\n\nA generated distribution.\n"),
                 ("CHANGELOG.md", "# Changelog\n\n## 0.0.0 (unreleased)\n\n- First.\n"),
                 ("lockfiles/default.txt", lockfile(state))]
        mods += [("docs/page-%03d.md" % i, page(i, 0)) for i in range(files)]
    else:
        mods.append(("docs/page-%03d.md" % (c % files), page(c % files, c)))
        if c % 20 == 0:  # a pin moves now and then
            name = "bench-pkg-%04d" % (1 + (c // 20) % pins)
            a, b, p = state[name].split(".")
            state[name] = "%s.%s.%d" % (a, b, int(p) + 1)
            mods.append(("lockfiles/default.txt", lockfile(state)))
    ks = tag_at.get(c, [])
    if ks:
        v = tagv(ks[-1])
        nextk = ks[-1] + 1
        msg = "Preparing release %s" % v
    else:
        v = (tagv(nextk) if nextk < tags else final) + ".dev0"
        msg = "Change %d" % c
    mods.append(("VERSION", v + "\n"))
    commit(c, msg, mods)
    for k in ks:
        tag_list.append((k, c))
        when[k] = epoch + c * 3600

# Changes since the last tag: upgrades (every tenth major, every third
# minor, else patch), two new pins and one removed.
changes, notes = [], []
for j in range(changed):
    if j == changed - 1 and changed >= 3:
        name = "bench-pkg-%04d" % (pins - 5)
        changes.append((name, None)); notes.append("- Remove %s." % name)
    elif j >= changed - 3 and changed >= 3:
        name = "bench-new-%02d" % j
        changes.append((name, "1.0.0")); notes.append("- Add %s 1.0.0." % name)
    else:
        name = "bench-pkg-%04d" % (1 + (7 + j * 9) % pins)
        a, b, p = (int(x) for x in state[name].split("."))
        nv = "%d.0.0" % (a + 1) if j % 10 == 0 else "%d.%d.0" % (a, b + 1) if j % 3 == 0 else "%d.%d.%d" % (a, b, p + 1)
        changes.append((name, nv)); notes.append("- Upgrade %s from %s to %s." % (name, state[name], nv))

def apply(st, ch):
    st = dict(st)
    for name, v in ch:
        if v is None:
            st.pop(name, None)
        else:
            st[name] = v
    return st

committed = changes[: len(changes) - uncommitted]
per = max(1, -(-len(committed) // (tail - 1)))
for i, c in enumerate(range(T + 1, commits + 1)):
    mods = [("docs/page-%03d.md" % (c % files), page(c % files, c))]
    chunk = committed[i * per:(i + 1) * per] if i < tail - 1 else []
    if chunk:
        state = apply(state, chunk)
        mods.append(("lockfiles/default.txt", lockfile(state)))
    if c == commits:
        cl = ["# Changelog\n", "## %s (unreleased)\n" % final, "\n".join(notes) + "\n"]
        for k in range(tags - 1, -1, -1):
            cl.append("## %s (%s)\n" % (tagv(k), time.strftime("%Y-%m-%d", time.gmtime(when[k]))))
            cl.append("- Release %s.\n" % tagv(k))
        mods.append(("CHANGELOG.md", "\n".join(cl)))
    mods.append(("VERSION", final + ".dev0\n"))
    commit(c, "Change %d" % c if not chunk else "Upgrade %d pins" % len(chunk), mods)

for k, c in tag_list:
    if (tags - 1 - k) % 2 == 0:  # the last tag is annotated
        out.write("tag %s\nfrom :%d\ntagger Dist Bench <bench@example.com> %d +0000\n" % (tagv(k), c, when[k]))
        data("Tagging %s" % tagv(k))
    else:
        out.write("reset refs/tags/%s\nfrom :%d\n\n" % (tagv(k), c))
out.write("done\n")
with open(lock_out, "w") as f:
    f.write(lockfile(apply(state, changes[len(committed):])))
PY

log "== generating the distribution: $COMMITS commits, $TAGS tags, $PINS pins (git fast-import)"
gen=$work/gen
git init -q -b main "$gen"
git -C "$gen" config user.name "Dist Bench"
git -C "$gen" config user.email bench@example.com
git -C "$gen" config gc.auto 0
python3 "$work/gen.py" "$COMMITS" "$TAGS" "$PINS" "$CHANGED" "$UNCOMMITTED" "" "$work/lock.final" >"$work/stream"
git -C "$gen" fast-import --quiet --done <"$work/stream"
rm -f "$work/stream"
git -C "$gen" reset -q --hard HEAD
cp "$work/lock.final" "$gen/lockfiles/default.txt"
[[ $(git -C "$gen" status --porcelain --untracked-files=no) == " M lockfiles/default.txt" ]] || { echo "plan: the work tree should change only the lockfile" >&2; exit 1; }
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
	[[ $base == "$want" && $desc == "$want" ]] || { printf '%s\n' "$out" >&2; echo "plan: $state: dist's base is '$base', git describe says $desc, want $want" >&2; exit 1; }
done
reasons=$(printf '%s\n' "$out" | grep -c '^  [a-z]' || true)
log "dist plan (gc):"
printf '%s\n' "$out" | sed -n '1,9p' | sed 's/^/  /' >&2
log "  ... $reasons reasons in all"
[[ $reasons -ge $CHANGED ]] || { echo "plan: expected at least $CHANGED reasons, dist plan gave $reasons" >&2; exit 1; }
next=$(printf '%s\n' "$out" | sed -n 's/^next: *//p') bump=$(printf '%s\n' "$out" | sed -n 's/^bump: *//p')

# ---- timing --------------------------------------------------------------------------
# timeit CMD...: sets $median (wall, ms) and $cpu (user+system, ms).
median= cpu=
timeit() {
	if ((hyperfine)); then
		local json=$work/hf.json
		hyperfine -N --style none --warmup 3 --runs "$RUNS" --export-json "$json" "$*" >/dev/null
		median=$(python3 -c 'import json, sys; print("%.1f" % (json.load(open(sys.argv[1]))["results"][0]["median"] * 1000))' "$json")
		cpu=$(python3 -c 'import json, sys; r = json.load(open(sys.argv[1]))["results"][0]; print("%.1f" % ((r["user"] + r["system"]) * 1000))' "$json")
	else
		local times=() t0 t1 r
		for ((r = 1; r <= 3; r++)); do "$@" >/dev/null; done
		for ((r = 1; r <= RUNS; r++)); do
			t0=$(date +%s.%N)
			"$@" >/dev/null
			t1=$(date +%s.%N)
			times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) * 1000 }')")
		done
		median=$(printf '%s\n' "${times[@]}" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
		cpu=n/a
	fi
}

log ""
log "load average before timing: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs (other work on the machine skews wall times; CPU times are steadier)"
if ((hyperfine)); then log "timer: $(hyperfine --version), median of $RUNS after 3 warm-up runs"; else log "timer: date +%s.%N, median of $RUNS after 3 warm-up runs"; fi

declare -A dw dc gw gc_
for state in loose packed gc; do
	log "== $state: dist plan"
	timeit "$DIST" -C "$work/$state" plan
	dw[$state]=$median dc[$state]=$cpu
	log "   $median ms (cpu $cpu ms)"
	log "== $state: git describe --tags --abbrev=0"
	timeit git -C "$work/$state" describe --tags --abbrev=0
	gw[$state]=$median gc_[$state]=$cpu
	log "   $median ms (cpu $cpu ms)"
done

# For scale: starting the binary and doing nothing.
log "== dist --version (start-up only)"
timeit "$DIST" --version
sw=$median sc=$cpu
log "   $median ms (cpu $cpu ms)"

# ---- summary ---------------------------------------------------------------------------
missed=0
{
	echo
	echo "================ dist plan benchmark ================"
	echo "repository: $COMMITS commits, $TAGS tags (last $want, 10 commits below HEAD), $PINS pins, $CHANGED changed ($UNCOMMITTED only in the work tree)"
	echo "plan:       base $want, bump $bump, next $next, $reasons reasons"
	echo "machine:    $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) now; temp dir on $(df --output=fstype "$work" | tail -n1)"
	echo "timing:     $( ((hyperfine)) && hyperfine --version || echo 'bash date +%s.%N'), median of $RUNS after 3 warm-up runs"
	echo
	printf '  %-8s | %12s %12s | %14s %14s | %6s  %-8s %-8s\n' refs "dist ms" "dist cpu" "describe ms" "describe cpu" ratio "<= 3x" "< 200ms"
	for state in loose packed gc; do
		r=$(awk -v a="${dw[$state]}" -v b="${gw[$state]}" 'BEGIN { printf "%.2f", a / b }')
		if awk -v r="$r" 'BEGIN { exit !(r <= 3) }'; then v1=OK; else v1=MISSED; missed=1; fi
		if awk -v a="${dw[$state]}" 'BEGIN { exit !(a < 200) }'; then v2=OK; else v2=MISSED; missed=1; fi
		printf '  %-8s | %12s %12s | %14s %14s | %5sx  %-8s %-8s\n' "$state" "${dw[$state]}" "${dc[$state]}" "${gw[$state]}" "${gc_[$state]}" "$r" "$v1" "$v2"
	done
	printf '  %-8s | %12s %12s |   (dist --version: start-up alone, for scale)\n' "start-up" "$sw" "$sc"
	echo
	echo "  dist: dist -C DIR plan        git: git -C DIR describe --tags --abbrev=0"
	echo "====================================================="
}
if [[ $missed == 1 && ${BENCH_STRICT:-0} == 1 ]]; then exit 1; fi
exit 0
