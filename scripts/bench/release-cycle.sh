#!/usr/bin/env bash
# release-cycle.sh: how fast is a whole dist release cycle (prerelease ->
# release --skip image -> postrelease) on a repository with 2,000 commits,
# compared with the same three zest.releaser-equivalent steps done with
# command-line git, sed, printf and curl? Target: within 2x of plain git.
#
# The distribution (generated with git fast-import, then git gc): 2,000
# commits on main, a release tag every 20 commits (100 tags, 0.0.0 to
# 1.49.0, alternately annotated and lightweight), ~100 files, a pypi
# lockfile of 300 hashed pins of which 30 changed since the last tag,
# VERSION 2.0.0.dev0 and a CHANGELOG.md whose unreleased entry says what
# changed. origin is a local bare clone; dist.yaml's github.api_url points
# at scripts/bench/ghapi-serve (internal/testenv/ghapi on 127.0.0.1).
#
# Every timed run starts from a fresh copy of the repository and of the
# bare remote, with the index refreshed and an empty release API (all
# untimed), and does, in the repository:
#   dist: dist prerelease --skip verify && dist release --skip image && dist postrelease
#   git:  prerelease  git status --porcelain --untracked-files=no (must be
#                     empty), git symbolic-ref (a release branch), git
#                     describe --tags --abbrev=0, git rev-parse (no tag V
#                     yet), sed dates the changelog heading, VERSION,
#                     git commit -am "Preparing release V"
#         release     git tag -a V -m "Tagging V", git push origin main V,
#                     awk extracts the entry, curl -X POST the draft
#         postrelease VERSION NEXT.dev0, sed inserts "## NEXT (unreleased)",
#                     git commit -am "Back to development: NEXT",
#                     git push origin main
# --skip verify: the git sequence checks no lockfile against an index
# either, and the benchmark makes no network request. (dist's release
# also lists the API's releases before it POSTs, to find an earlier draft.)
# Every step runs as `timeout 60 bash -c "set -e; STEP"` (STEP is a dist
# command, or one of the git side's step files, sourced), so the shell
# costs the same on both sides.
#
# Timing: not hyperfine, which runs every run of one command before the
# first of the other. On a shared machine the load moves within a minute,
# so the sides alternate instead: a round is a fresh copy + the dist
# cycle, then a fresh copy + the git cycle, each step timed with bash's
# `time` (wall, and user + system CPU of the step and its children, such
# as git-receive-pack). One warm-up round, then BENCH_RUNS rounds; the
# medians are reported, and the median of the rounds' own dist/git ratios
# beside them.
#
# Run from anywhere after `make build`. Knobs (environment):
#   DIST=path/to/dist    binary to time (default: <repo>/bin/dist)
#   BENCH_RUNS=7         timed rounds (the median is reported)
#   BENCH_COMMITS=2000   commits on main
#   BENCH_TAGS=100       release tags on main
#   BENCH_TMPDIR=dir     where the repositories go (default: $TMPDIR or /tmp)
#   BENCH_STRICT=1       exit 1 when the target is missed (default: report only)
# Needs git, curl, python3 (to write the fast-import stream) and go (to
# build ghapi-serve). Nothing is installed by this script.
set -euo pipefail

RUNS=${BENCH_RUNS:-7}
COMMITS=${BENCH_COMMITS:-2000}
TAGS=${BENCH_TAGS:-100}
PINS=300
CHANGED=30
TODAY=2026-11-22
TOKEN=bench-t0ken
GHREPO=bench/bench-dist
CMD_TIMEOUT=60 # seconds, per timed command

. "$(dirname "$0")/lib.sh"
bench_init release-cycle cycle
need_dist
need_tools git curl python3 go

# Both tools see the same git configuration: the repository's own, no
# user or system file. No proxy for the local API.
isolate_git
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
export DIST_TODAY=$TODAY GITHUB_TOKEN=$TOKEN BENCH_GHREPO=$GHREPO

# ---- the local GitHub API ----------------------------------------------------
go_build ghapi-serve scripts/bench/ghapi-serve
start_server ghapi-serve "$work/api.out" "$work/ghapi-serve" "$GHREPO" "$TOKEN"
api=$url
export BENCH_API=$api
log "API: $api (repository $GHREPO)"

# ---- the distribution ----------------------------------------------------------
proto=$work/proto
gen_repo "$proto/repo" "$COMMITS" "$TAGS" "$PINS" "$CHANGED" 0 "$api" "$work/lock.final"
cmp -s "$work/lock.final" "$proto/repo/lockfiles/default.txt" || die "generator: the work tree lockfile differs from HEAD's"
git -C "$proto/repo" gc -q
git clone -q --bare "$proto/repo" "$proto/remote.git"
# Every run works in $work/run: a copy of $proto, so origin's path is fixed.
git -C "$proto/repo" remote add origin "$work/run/remote.git"
base=$(git -C "$proto/repo" describe --tags --abbrev=0)
version=$(sed 's/\.dev0$//' "$proto/repo/VERSION")
log "commits: $(git -C "$proto/repo" rev-list --count HEAD), tags: $(git -C "$proto/repo" tag | wc -l), files: $(git -C "$proto/repo" ls-files | wc -l), pack: $(du -sh "$proto/repo/.git/objects" | cut -f1)"
log "last tag: $base; VERSION $version.dev0; plan says: $("$DIST" -C "$proto/repo" plan | sed -n 's/^next: *//p')"

# ---- the two cycles, as scripts ---------------------------------------------------
cat >"$work/prepare.sh" <<EOF
set -e
rm -rf $work/run
cp -a $proto $work/run
git -C $work/run/repo update-index -q --refresh
curl -sSf --noproxy '*' -X POST $api/_reset
sync
EOF

cat >"$work/dist-cycle.sh" <<EOF
set -e
cd $work/run/repo
$DIST prerelease --skip verify
$DIST release --skip image
$DIST postrelease
EOF

cat >"$work/git-prerelease.sh" <<'EOF'
test -z "$(git status --porcelain --untracked-files=no)" || { echo "prerelease: tracked files are modified" >&2; exit 1; }
branch=$(git symbolic-ref --short HEAD)
case $branch in main | master | *.x) ;; *) echo "prerelease: not a release branch: $branch" >&2; exit 1 ;; esac
base=$(git describe --tags --abbrev=0)
v=$(sed 's/\.dev0$//' VERSION)
! git rev-parse -q --verify "refs/tags/$v" >/dev/null || { echo "prerelease: tag $v exists" >&2; exit 1; }
grep -q "^## $v (unreleased)\$" CHANGELOG.md || { echo "prerelease: no unreleased entry for $v" >&2; exit 1; }
sed -i "0,/^## $v (unreleased)\$/s//## $v ($DIST_TODAY)/" CHANGELOG.md
printf '%s\n' "$v" >VERSION
git commit -qam "Preparing release $v"
echo "prerelease: $v (last release $base)"
EOF

# The notes: the entry's lines without the heading and the blank lines
# around them, JSON-escaped by sed, each ended by \n by awk, as a shell
# user would do it (the same body dist sends).
cat >"$work/git-release.sh" <<'EOF'
v=$(cat VERSION)
git tag -a "$v" -m "Tagging $v"
git push -q origin main "$v"
notes=$(awk -v v="$v" '/^## / { if (on) exit; if (index($0, "## " v " (") == 1) { on = 1; next } } on' CHANGELOG.md |
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/\t/\\t/g' |
	awk 'NF || n { l[++n] = $0 } END { while (n > 0 && l[n] == "") n--; for (i = 1; i <= n; i++) printf "%s\\n", l[i] }')
printf '{"tag_name":"%s","name":"%s","body":"%s","draft":true}' "$v" "$v" "$notes" |
	curl -sSf --noproxy '*' -o /dev/null -X POST -H "Authorization: Bearer $GITHUB_TOKEN" \
		-H 'Accept: application/vnd.github+json' -H 'Content-Type: application/json' \
		--data-binary @- "$BENCH_API/repos/$BENCH_GHREPO/releases"
echo "release: tagged, pushed and drafted $v"
EOF

cat >"$work/git-postrelease.sh" <<'EOF'
v=$(cat VERSION)
next=$(printf '%s\n' "$v" | awk -F. '{ printf "%d.%d.%d", $1, $2, $3 + 1 }')
printf '%s.dev0\n' "$next" >VERSION
sed -i "0,/^## /s//## $next (unreleased)\n\n- Nothing changed yet.\n\n## /" CHANGELOG.md
git commit -qam "Back to development: $next"
git push -q origin main
echo "postrelease: $next.dev0"
EOF

cat >"$work/git-cycle.sh" <<EOF
set -e
cd $work/run/repo
. $work/git-prerelease.sh
. $work/git-release.sh
. $work/git-postrelease.sh
EOF

# ---- check runs: both cycles do the whole job ------------------------------------
# check SIDE: after a cycle in $work/run, the remote and the API hold the
# release; the work tree is kept in $work/result-SIDE for comparison.
check() {
	local side=$1 run=$work/run r=$work/run/repo
	[[ $(git -C "$run/remote.git" cat-file -t "$version") == tag ]] || { log "$side: the remote has no annotated tag $version"; return 1; }
	[[ $(git -C "$run/remote.git" rev-parse "$version^{commit}") == $(git -C "$r" rev-parse HEAD~1) ]] || { log "$side: tag $version is not on the prerelease commit"; return 1; }
	[[ $(git -C "$run/remote.git" log -1 --format=%s main) == "Back to development: ${version%.*}.$((${version##*.} + 1))" ]] || { log "$side: the remote's main is not back to development"; return 1; }
	[[ $(git -C "$r" log -2 --format=%s | tail -n1) == "Preparing release $version" ]] || { log "$side: no prerelease commit"; return 1; }
	[[ -z $(git -C "$r" status --porcelain --untracked-files=no) ]] || { log "$side: the work tree is not clean"; return 1; }
	git -C "$run/remote.git" fsck --strict --no-dangling --no-progress 2>&1 | grep . >&2 && { log "$side: git fsck complained"; return 1; }
	local rel
	rel=$(curl -sSf --noproxy '*' "$api/_releases")
	python3 - "$rel" "$version" <<-'PY' || { log "$side: the API holds $rel"; return 1; }
		import json, sys
		rs = json.loads(sys.argv[1])
		assert len(rs) == 1 and rs[0]["tag_name"] == sys.argv[2] and rs[0]["draft"], rs
		assert "Upgrade bench-pkg-" in rs[0]["body"] and not rs[0]["body"].startswith("#"), rs[0]["body"]
	PY
	rm -rf "$work/result-$side"
	mkdir -p "$work/result-$side"
	cp "$r/VERSION" "$r/CHANGELOG.md" "$work/result-$side/"
	curl -sSf --noproxy '*' "$api/_releases" | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["body"])' >"$work/result-$side/notes.md"
}
log ""
log "== check run: dist"
bash "$work/prepare.sh"
timeout -k 5 $CMD_TIMEOUT bash "$work/dist-cycle.sh" >&2 || { log "release-cycle: the dist cycle failed"; exit 1; }
check dist || exit 1
log "== check run: git"
bash "$work/prepare.sh"
timeout -k 5 $CMD_TIMEOUT bash "$work/git-cycle.sh" >&2 || { log "release-cycle: the git cycle failed"; exit 1; }
check git || exit 1
same=yes
for f in VERSION CHANGELOG.md notes.md; do
	if ! cmp -s "$work/result-dist/$f" "$work/result-git/$f"; then
		same="no ($f differs)"
		log "note: $f after the cycle differs between dist and git:"
		diff -u "$work/result-dist/$f" "$work/result-git/$f" | head -n 20 >&2 || true
	fi
done
log "both cycles: tag $version annotated on the remote, main back to development, one draft; same VERSION, CHANGELOG.md and notes: $same"

# ---- timing --------------------------------------------------------------------------
# cycle SIDE STEP1 STEP2 STEP3: a fresh copy, then the three steps (bash
# strings run in the repository), each timed; appends "wall cpu" per step
# (seconds) to $work/times-SIDE.
TIMEFORMAT='%3R %3U %3S'
cycle() {
	local side=$1 s tm line=
	shift
	bash "$work/prepare.sh" >/dev/null
	for s in "$@"; do
		# (The inner braces keep the step's redirection off time's report.)
		tm=$({ time { (cd "$work/run/repo" && timeout -k 5 $CMD_TIMEOUT bash -c "set -e; $s") >"$work/step.log" 2>&1; }; } 2>&1) ||
			{ cat "$work/step.log" >&2; log "release-cycle: $side: step failed: $s"; exit 1; }
		line+=$(awk '{ printf "%s %.3f ", $1, $2 + $3 }' <<<"$tm")
	done
	echo "$line" >>"$work/times-$side"
}
dist_steps=("$DIST prerelease --skip verify" "$DIST release --skip image" "$DIST postrelease")
git_steps=(". $work/git-prerelease.sh" ". $work/git-release.sh" ". $work/git-postrelease.sh")

log_load "(other work on the machine skews every figure)"
log "timer: bash time, $RUNS rounds after 1 warm-up round, dist and git alternating"
cycle warmup "${dist_steps[@]}"
cycle warmup "${git_steps[@]}"
: >"$work/times-dist"
: >"$work/times-git"
for ((r = 1; r <= RUNS; r++)); do
	cycle dist "${dist_steps[@]}"
	cycle git "${git_steps[@]}"
	log "  round $r: dist $(awk 'END { printf "%.3f", $1 + $3 + $5 }' "$work/times-dist") s, git $(awk 'END { printf "%.3f", $1 + $3 + $5 }' "$work/times-git") s"
done

# med FILE EXPR: the median over the rounds of an awk expression of the
# fields (wall1 cpu1 wall2 cpu2 wall3 cpu3).
med() { awk "{ print $2 }" "$1" | median; }
t_dist=$(med "$work/times-dist" '$1 + $3 + $5') t_git=$(med "$work/times-git" '$1 + $3 + $5')
c_dist=$(med "$work/times-dist" '$2 + $4 + $6') c_git=$(med "$work/times-git" '$2 + $4 + $6')
paste -d' ' "$work/times-dist" "$work/times-git" >"$work/times-pairs"
r_pairs=$(med "$work/times-pairs" '($1 + $3 + $5) / ($7 + $9 + $11)')

# ---- summary ---------------------------------------------------------------------------
{
	echo
	echo "================ release cycle benchmark ================"
	echo "repository: $COMMITS commits, $TAGS tags (last $base), $(git -C "$proto/repo" ls-files | wc -l) files, $PINS pins ($CHANGED changed); releasing $version"
	echo "remote:     a local bare clone; API: ghapi-serve on 127.0.0.1"
	echo "machine:    $(nproc) CPUs, load average $(load_now) now; temp dir on $(fs_of "$work")"
	echo "timing:     bash time, median of $RUNS rounds (dist and git alternating, each on a fresh copy)"
	echo
	printf '  %-40s %s   (cpu %s)\n' "dist: prerelease, release, postrelease" "$(fmt_ms "$t_dist")" "$(fmt_ms "$c_dist")"
	printf '  %-40s %s   (cpu %s)\n' "git + sed + curl: the same three steps" "$(fmt_ms "$t_git")" "$(fmt_ms "$c_git")"
	echo
	printf '  %-30s %11s %11s %7s\n' "per step (wall, median)" dist git ratio
	n=1
	for step in "prerelease" "release (tag, push, draft)" "postrelease (commit, push)"; do
		d=$(med "$work/times-dist" "\$$n") g=$(med "$work/times-git" "\$$n")
		printf '  %-30s %s %s %6sx\n' "$step" "$(fmt_ms "$d")" "$(fmt_ms "$g")" "$(ratio "$d" "$g")"
		n=$((n + 2))
	done
	echo
	echo "  same VERSION, CHANGELOG.md and release notes at the end: $same"
	r=$(ratio "$t_dist" "$t_git")
	target "$r" "<=" 2
	echo "  dist / git = ${r}x   (target <= 2x: $verdict)"
	echo "  for scale: median of the rounds' own ratios $(printf '%.2f' "$r_pairs")x; CPU dist / git $(ratio "$c_dist" "$c_git")x"
	echo "========================================================="
}
bench_finish
