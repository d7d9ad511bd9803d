# lib.sh: what the benchmark scripts in scripts/bench share. Not a script
# of its own: each script sources it after `set -euo pipefail`, then calls
# bench_init:
#
#	. "$(dirname "$0")/lib.sh"
#	bench_init NAME TAG
#
# NAME starts the script's error messages ("NAME: ..."); TAG names its temp
# dir (dist-bench-TAG.XXXXXX). Knobs every script reads (environment):
#   BENCH_TMPDIR=dir     where the temp dir goes (default: $TMPDIR or /tmp)
#   BENCH_NO_HYPERFINE=1 time with date +%s.%N even when hyperfine is there
#   BENCH_STRICT=1       exit 1 at the end when a target was missed
# and a script sets RUNS (timed runs per command) and, for timeit,
# CMD_TIMEOUT (seconds per timed command) before it times anything.

# bench_init NAME TAG: sets $repo (the repository's root), $work (a fresh
# temp dir, removed on exit, whose path has no spaces: the timed commands
# are bash strings and hyperfine splits its commands on spaces) and
# $hyperfine (1 when hyperfine is installed and not disabled); traps EXIT
# to clean up (see cleanup_add_pid) and INT/TERM to exit 130.
bench_init() {
	BENCH_NAME=$1
	repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
	work=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/dist-bench-$2.XXXXXX")
	[[ $work != *[[:space:]]* ]] || { rm -rf "$work"; setup_error "temp dir must not contain spaces: $work"; }
	cleanup_add_dir "$work"
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
	hyperfine=0
	if [[ ${BENCH_NO_HYPERFINE:-0} != 1 ]] && have hyperfine; then hyperfine=1; fi
}

log() { printf '%s\n' "$*" >&2; }
have() { command -v "$1" >/dev/null 2>&1; }
# die MSG: the run failed (exit 1); setup_error MSG: it cannot start (exit 2).
die() { echo "$BENCH_NAME: $*" >&2; exit 1; }
setup_error() { echo "$BENCH_NAME: $*" >&2; exit 2; }

# ---- clean-up on exit --------------------------------------------------------
# cleanup_add_pid PID: kill (and reap) PID on exit; cleanup_add_dir DIR:
# remove DIR on exit, after every process is gone.
_cleanup_pids=() _cleanup_dirs=()
cleanup_add_pid() { _cleanup_pids+=("$1"); }
cleanup_add_dir() { _cleanup_dirs+=("$1"); }
bench_cleanup() {
	local p
	for p in "${_cleanup_pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${_cleanup_pids[@]}"; do wait "$p" 2>/dev/null || true; done
	# (chmod: the go command leaves its module cache read-only.)
	for p in "${_cleanup_dirs[@]}"; do chmod -R u+w "$p" 2>/dev/null || true; rm -rf "$p"; done
}

# ---- prerequisites -----------------------------------------------------------
# need_dist: $DIST (default <repo>/bin/dist) must be executable; makes it
# absolute.
need_dist() {
	DIST=${DIST:-$repo/bin/dist}
	[[ -x $DIST ]] || setup_error "$DIST not found; run 'make build' first"
	DIST=$(cd "$(dirname "$DIST")" && pwd)/$(basename "$DIST")
}
# need_tools TOOL...: each must be on PATH.
need_tools() {
	local tool
	for tool; do have "$tool" || setup_error "$tool is needed"; done
}
# go_build NAME PKG: build the package (a path below the repository) into
# $work/NAME.
go_build() {
	log "== building $1"
	(cd "$repo" && timeout 300 go build -o "$work/$1" "./$2")
}

# ---- helper servers ------------------------------------------------------------
# start_server NAME OUTFILE COMMAND...: start a server that prints its URL
# (http://127.0.0.1:PORT...) as the first line of stdout, kill it on exit,
# and wait up to 60 s for the URL; sets $url. Its stderr goes to
# OUTFILE.err, shown once it is up.
url=
start_server() {
	local name=$1 out=$2 pid i
	shift 2
	"$@" >"$out" 2>"$out.err" &
	pid=$!
	cleanup_add_pid "$pid"
	for ((i = 0; i < 600; i++)); do
		[[ -s $out ]] && break
		kill -0 "$pid" 2>/dev/null || { cat "$out.err" >&2; die "$name exited"; }
		sleep 0.1
	done
	url=$(head -n1 "$out")
	[[ $url == http://127.0.0.1:* ]] || { cat "$out.err" >&2; die "$name did not start in 60s"; }
	cat "$out.err" >&2
}

# ---- timing ------------------------------------------------------------------
# median: the median of the numbers on stdin, one a line.
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# hf_field JSON NAME: the first value of "NAME" in a hyperfine JSON export.
hf_field() { grep -o "\"$2\": *[0-9.eE+-]*" "$1" | head -n1 | sed 's/.*: *//'; }

# timer_name: what times the runs, for the reports.
timer_name() { if ((hyperfine)); then hyperfine --version; else echo 'bash date +%s.%N'; fi; }

# timeit NAME PREPARE COMMAND: RUNS runs of PREPARE then COMMAND (bash
# strings), COMMAND timed with a limit of CMD_TIMEOUT seconds; sets $median
# (seconds). hyperfine times when $hyperfine is 1; otherwise date +%s.%N
# does, and both strings see the run's number as $RUN.
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
		median=$(hf_field "$json" median)
	else
		local times=() t0 t1 r
		for ((r = 1; r <= RUNS; r++)); do
			RUN=$r bash -c "$prepare"
			t0=$(date +%s.%N)
			RUN=$r bash -c "timeout -k 5 $CMD_TIMEOUT $cmd" >"$work/out.log" 2>&1 || { cat "$work/out.log" >&2; log "$name: run $r failed"; exit 1; }
			t1=$(date +%s.%N)
			times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')")
			log "  run $r: ${times[-1]} s"
		done
		median=$(printf '%s\n' "${times[@]}" | median)
	fi
	log "  median: $median s"
}

# time_ms [-C DIR] COMMAND...: for quick commands, run in DIR: 3 warm-up
# runs (DATE_WARMUP with the date timer) then RUNS timed ones, hyperfine
# without a shell (-N) or date +%s.%N; sets $median (wall, ms) and $cpu
# (user + system, ms; n/a with the date timer).
DATE_WARMUP=3
cpu=
time_ms() {
	local dir=
	if [[ $1 == -C ]]; then dir=$2; shift 2; fi
	if ((hyperfine)); then
		local json=$work/hf.json
		(cd "${dir:-.}" && hyperfine -N --style none --warmup 3 --runs "$RUNS" --export-json "$json" "$*" >/dev/null)
		median=$(awk -v t="$(hf_field "$json" median)" 'BEGIN { printf "%.1f", t * 1000 }')
		cpu=$(awk -v u="$(hf_field "$json" user)" -v s="$(hf_field "$json" system)" 'BEGIN { printf "%.1f", (u + s) * 1000 }')
	else
		local times=() t0 t1 r
		for ((r = 1; r <= DATE_WARMUP; r++)); do _time_ms_run "$dir" "$@"; done
		for ((r = 1; r <= RUNS; r++)); do
			t0=$(date +%s.%N)
			_time_ms_run "$dir" "$@"
			t1=$(date +%s.%N)
			times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) * 1000 }')")
		done
		median=$(printf '%s\n' "${times[@]}" | median)
		cpu=n/a
	fi
}
_time_ms_run() {
	local dir=$1
	shift
	if [[ -n $dir ]]; then (cd "$dir" && "$@" >/dev/null); else "$@" >/dev/null; fi
}

# ---- reporting -----------------------------------------------------------------
load_now() { cut -d' ' -f1-3 /proc/loadavg; }
fs_of() { df --output=fstype "$1" | tail -n1; }
# log_load [NOTE]: the load before timing, for the log.
log_load() {
	log ""
	log "load average before timing: $(load_now) on $(nproc) CPUs${1:+ $1}"
}
# ratio A B [DIGITS]: A / B with DIGITS decimals (default 2).
ratio() { awk -v a="$1" -v b="$2" -v n="${3:-2}" 'BEGIN { printf "%." n "f", a / b }'; }
# fmt_s SECONDS: "   1.234 s", or "       n/a" when empty; fmt_ms SECONDS: "  1234.5 ms".
fmt_s() { [[ -n $1 ]] && awk -v t="$1" 'BEGIN { printf "%8.3f s", t }' || printf '%10s' "n/a"; }
fmt_ms() { awk -v t="$1" 'BEGIN { printf "%8.1f ms", t * 1000 }'; }

# target VALUE OP LIMIT: is VALUE OP LIMIT (OP one of < <= > >=)? Sets
# $verdict to $OK_WORD or MISSED, and remembers a miss for bench_finish.
OK_WORD=OK
verdict=
bench_missed=0
target() {
	if awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN { exit !(op == "<" ? v < t : op == "<=" ? v <= t : op == ">" ? v > t : v >= t) }'; then
		verdict=$OK_WORD
	else
		verdict=MISSED
		bench_missed=1
	fi
}
# bench_finish: exit 1 when a target was missed and BENCH_STRICT=1, else 0.
bench_finish() {
	if ((bench_missed)) && [[ ${BENCH_STRICT:-0} == 1 ]]; then exit 1; fi
	exit 0
}

# ---- distributions ---------------------------------------------------------------
# pypi_distribution DIR: a distribution with one pypi lockfile,
# DIR/lockfiles/default.txt (not created).
pypi_distribution() {
	mkdir -p "$1/lockfiles"
	printf '%s\n' "name: bench" "lockfiles:" "  - path: lockfiles/default.txt" "    ecosystem: pypi" '    python_version: ["3.12"]' >"$1/dist.yaml"
}

# isolate_git: git (and dist's go-git) see the repositories' own
# configuration only: no user or system file, no identity or dates from
# the environment, no prompts.
isolate_git() {
	: >"$work/gitconfig"
	export GIT_CONFIG_GLOBAL=$work/gitconfig GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0
	unset GIT_DIR GIT_WORK_TREE GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL GIT_AUTHOR_DATE GIT_COMMITTER_DATE
}

# gen_repo DIR COMMITS TAGS PINS CHANGED UNCOMMITTED API LOCK_OUT: a new
# repository DIR on main, written by git fast-import (python3 writes the
# stream) and checked out: COMMITS commits; TAGS release tags (0.0.0,
# 0.1.0, ... 0.49.0, 1.0.0, ..., alternately annotated and lightweight, the
# last annotated) spread over the first COMMITS-10; ~100 files; a pypi
# lockfile of PINS pins with two sha256 hashes each (well-formed, not
# real), moved now and then; in the last 10 commits CHANGED pin changes
# since the last tag (upgrades, 2 new, 1 removed), but for the last
# UNCOMMITTED of them, which go only to LOCK_OUT, the lockfile for the work
# tree; VERSION NEXT.dev0 and a CHANGELOG.md with an unreleased entry
# above the released ones. dist.yaml's github.api_url is API when not empty.
gen_repo() {
	local dir=$1
	shift
	log "== generating the distribution: $1 commits, $2 tags, $3 pins (git fast-import)"
	git init -q -b main "$dir"
	git -C "$dir" config user.name "Dist Bench"
	git -C "$dir" config user.email bench@example.com
	git -C "$dir" config gc.auto 0
	python3 - "$@" >"$work/stream" <<'PY'
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
manifest = "name: bench-dist\nlockfiles:\n  - path: lockfiles/default.txt\n    ecosystem: pypi\n    python_version: [\"3.12\"]\n"
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
	git -C "$dir" fast-import --quiet --done <"$work/stream"
	rm -f "$work/stream"
	git -C "$dir" reset -q --hard HEAD
}
