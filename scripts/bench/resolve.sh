#!/usr/bin/env bash
# resolve.sh: how fast does `dist lock add` resolve and hash a Kinto-sized
# dependency graph, compared with pip's resolver on the same top-level
# requirements and the same index? And is what dist locks right?
#
# scripts/bench/pyindex-graph serves a generated graph (pyindex.Graph) on
# 127.0.0.1: 120 projects x 3 versions of small py3-none-any wheels whose
# requirements use ranges (>=, <, ~=, !=, ==X.*), extras and markers, with
# a few backtracking traps (the newest version of a top-level project needs
# what another top-level requirement rules out), and PEP 658 metadata
# files. It prints the top-level requirements; both tools get the same.
#
#   dist: dist lock add -f lockfiles/default.txt TOP...   into an empty
#         distribution (dependencies to constraints.txt), resolved for this
#         machine's python3 and architecture, as pip resolves; a fresh
#         DIST_CACHE_DIR every run.
#   pip:  python3 -m pip install --dry-run --ignore-installed --report R.json
#         --no-cache-dir --index-url INDEX TOP...   (resolves, installs
#         nothing).
#
# Then dist's lockfiles are installed with `pip install --require-hashes`
# into a fresh venv and `pip check` must be clean, and dist's pins are
# compared with the versions in pip's report.
#
# Run from anywhere after `make build`. Knobs (environment):
#   DIST=path/to/dist    binary to time (default: <repo>/bin/dist)
#   BENCH_RUNS=5         timed runs per command (the median is reported)
#   BENCH_SEED=1         graph seed
#   BENCH_TMPDIR=dir     where the temp files go (default: $TMPDIR or /tmp)
#   BENCH_STRICT=1       exit 1 when a target is missed (default: report only)
#   BENCH_NO_HYPERFINE=1 time with date +%s.%N even when hyperfine is there
# hyperfine is used when installed; otherwise runs are timed with
# date +%s.%N. Nothing is installed outside the temp dir.
set -euo pipefail

PROJECTS=120
VERSIONS=3
TOP=12
TRAPS=4
RUNS=${BENCH_RUNS:-5}
SEED=${BENCH_SEED:-1}
CMD_TIMEOUT=300 # seconds, per timed command

. "$(dirname "$0")/lib.sh"
bench_init resolve resolve
need_dist
need_tools python3
python3 -m pip --version >/dev/null 2>&1 || setup_error "python3 -m pip is needed"
[[ $SEED =~ ^[0-9]+$ ]] || setup_error "BENCH_SEED must be a whole number"

# pip resolves for the interpreter it runs on; dist is told the same.
py=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
case $(uname -m) in
x86_64 | amd64) platform=linux/amd64 ;;
aarch64 | arm64) platform=linux/arm64 ;;
*) setup_error "no linux platform for machine $(uname -m)" ;;
esac

# ---- the index ---------------------------------------------------------------
go_build pyindex-graph scripts/bench/pyindex-graph
log "== starting pyindex-graph: seed $SEED, $PROJECTS projects x $VERSIONS versions, $TOP top-level projects, $TRAPS traps"
start_server pyindex-graph "$work/index.out" "$work/pyindex-graph" -seed "$SEED" -projects "$PROJECTS" -versions "$VERSIONS" -top "$TOP" -traps "$TRAPS"
index=$url
tops=$(sed -n 2p "$work/index.out")
[[ -n $tops ]] || die "pyindex-graph printed no top-level requirements"
ntops=$(wc -w <<<"$tops")
# Quoted for the timed bash strings: "name[extra]" is a glob.
qtops=$(for t in $tops; do printf '%q ' "$t"; done)
log "index: $index"
log "top-level requirements: $tops"

# ---- the distribution ----------------------------------------------------------
dir=$work/distribution
mkdir -p "$dir/lockfiles"
cat >"$dir/dist.yaml" <<EOF
name: bench
lockfiles:
  - path: lockfiles/default.txt
    ecosystem: pypi
    python_version: ["$py"]
    dependencies: lockfiles/constraints.txt
  - path: lockfiles/constraints.txt
    ecosystem: pypi
    python_version: ["$py"]
image:
  platforms: [$platform]
EOF
cache=$work/cache
report=$work/report.json
pip_env="env -u PIP_FIND_LINKS -u PIP_EXTRA_INDEX_URL -u PIP_INDEX_URL PIP_CONFIG_FILE=/dev/null PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1"

dist_prepare="rm -rf $(printf %q "$cache") $(printf %q "$dir")/lockfiles/*.txt"
dist_cmd="env DIST_CACHE_DIR=$(printf %q "$cache") $(printf %q "$DIST") -C $(printf %q "$dir") lock add -f lockfiles/default.txt --index-url $(printf %q "$index") $qtops"
pip_prepare="rm -f $(printf %q "$report")"
pip_cmd="$pip_env python3 -m pip install --dry-run --ignore-installed --no-cache-dir --progress-bar off -q --report $(printf %q "$report") --index-url $(printf %q "$index") $qtops"

# pins FILE...: "name version" for every pinned project of dist's
# lockfiles, names PEP 503-normalized; a project pinned on two lines (bare
# and with extras, as pip's hash mode needs) counts once.
pins() {
	python3 - "$@" <<'PY'
import re, sys
seen = set()
for f in sys.argv[1:]:
    for line in open(f).read().replace("\\\n", " ").splitlines():
        m = re.match(r"([A-Za-z0-9._-]+)(\[[^\]]*\])?==(\S+)", line.split("#", 1)[0].strip())
        if m:
            pin = (re.sub(r"[-_.]+", "-", m.group(1)).lower(), m.group(3))
            if pin not in seen:
                seen.add(pin)
                print(*pin)
PY
}

log_load "(other work on the machine skews every figure)"

# ---- check runs ------------------------------------------------------------------
log ""
log "== check run: dist lock add"
bash -c "$dist_prepare"
out=$(timeout -k 5 $CMD_TIMEOUT bash -c "$dist_cmd" 2>&1) || { printf '%s\n' "$out" >&2; die "dist lock add failed"; }
dist_pins=$(pins "$dir/lockfiles/default.txt" "$dir/lockfiles/constraints.txt" | wc -l)
log "dist pinned $dist_pins projects ($(grep -c '^[^ #]' "$dir/lockfiles/default.txt") direct)"
out=$(DIST_CACHE_DIR=$cache timeout -k 5 $CMD_TIMEOUT "$DIST" -C "$dir" lock verify --index-url "$index" 2>&1) || { printf '%s\n' "$out" >&2; die "dist lock verify failed on what dist lock add wrote"; }
log "dist lock verify: $(printf '%s\n' "$out" | tail -n1)"
cp "$dir/lockfiles/default.txt" "$dir/lockfiles/constraints.txt" "$work/"

log ""
log "== check run: pip install --dry-run --report ($(python3 -m pip --version | cut -d' ' -f1-2), python $py)"
bash -c "$pip_prepare"
timeout -k 5 $CMD_TIMEOUT bash -c "$pip_cmd" >&2 || die "pip's resolver failed"
pip_pkgs=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["install"]))' "$report")
log "pip would install $pip_pkgs packages"
cp "$report" "$work/pip-report.json"

# ---- timing ------------------------------------------------------------------------
timeit "dist lock add ($ntops top-level requirements)" "$dist_prepare" "$dist_cmd"
t_dist=$median
timeit "pip install --dry-run --report ($ntops top-level requirements)" "$pip_prepare" "$pip_cmd"
t_pip=$median

# ---- dist's lockfiles, installed by pip ---------------------------------------------
log ""
log "== pip install --require-hashes of dist's lockfiles into a fresh venv, then pip check"
venv=$work/venv
python3 -m venv --without-pip "$venv"
install_ok=1
if ! $pip_env python3 -m pip --python "$venv/bin/python" install --require-hashes --no-cache-dir --progress-bar off -q \
	--index-url "$index" -r "$work/default.txt" -r "$work/constraints.txt" >"$work/install.log" 2>&1; then
	install_ok=0
	cat "$work/install.log" >&2
fi
check_ok=0
if ((install_ok)) && $pip_env python3 -m pip --python "$venv/bin/python" check >"$work/check.log" 2>&1; then
	check_ok=1
fi
cat "$work/check.log" >&2 2>/dev/null || true
installed=$("$venv/bin/python" -c 'import importlib.metadata as m; print(sum(1 for _ in m.distributions()))')
log "installed: $installed distributions"

# ---- dist's choices against pip's ----------------------------------------------------
pins "$work/default.txt" "$work/constraints.txt" | sort >"$work/dist.pins"
python3 -c '
import json, re, sys
for i in json.load(open(sys.argv[1]))["install"]:
    print(re.sub(r"[-_.]+", "-", i["metadata"]["name"]).lower(), i["metadata"]["version"])
' "$work/pip-report.json" | sort >"$work/pip.pins"
both=$(join "$work/dist.pins" "$work/pip.pins" | wc -l)
same=$(join "$work/dist.pins" "$work/pip.pins" | awk '$2 == $3' | wc -l)
only_dist=$(join -v1 "$work/dist.pins" "$work/pip.pins" | awk '{ printf "%s%s==%s", s, $1, $2; s = ", " }')
only_pip=$(join -v2 "$work/dist.pins" "$work/pip.pins" | awk '{ printf "%s%s==%s", s, $1, $2; s = ", " }')
differ=$(join "$work/dist.pins" "$work/pip.pins" | awk '$2 != $3 { printf "%s%s %s/%s", s, $1, $2, $3; s = ", " }')

# ---- summary -----------------------------------------------------------------------
{
	echo
	echo "================ dist resolver benchmark ================"
	echo "index:    pyindex-graph on 127.0.0.1, seed $SEED: $PROJECTS projects x $VERSIONS versions (small py3-none-any wheels, PEP 658 metadata), $TRAPS traps"
	echo "asked:    $ntops top-level requirements, for python $py on $platform"
	echo "machine:  $(nproc) CPUs, load average $(load_now) now"
	echo "timing:   $(timer_name), median of $RUNS, every run with a cold cache"
	echo
	printf '  %-44s %s   %3s pins\n' "dist lock add (resolve + hash)" "$(fmt_s "$t_dist")" "$dist_pins"
	printf '  %-44s %s   %3s packages\n' "pip install --dry-run --report" "$(fmt_s "$t_pip")" "$pip_pkgs"
	echo
	echo "  dist: DIST_CACHE_DIR=<fresh> dist -C DIR lock add -f lockfiles/default.txt --index-url INDEX TOP..."
	echo "  pip:  python3 -m pip install --dry-run --ignore-installed --no-cache-dir --report R.json --index-url INDEX TOP..."
	echo
	r=$(ratio "$t_pip" "$t_dist")
	target "$r" ">=" 5
	echo "  pip / dist = ${r}x   (target >= 5x: $verdict)"
	if ((install_ok && check_ok)); then
		echo "  pip install --require-hashes of dist's lockfiles, then pip check: clean ($installed installed; OK)"
	elif ((install_ok)); then
		bench_missed=1
		echo "  pip install --require-hashes of dist's lockfiles: ok; pip check: problems (MISSED):"
		sed 's/^/    /' "$work/check.log"
	else
		bench_missed=1
		echo "  pip install --require-hashes of dist's lockfiles: failed (MISSED):"
		grep -m1 -A1 '^ERROR' "$work/install.log" | cut -c1-200 | sed 's/^/    /'
	fi
	echo "  $same of $both versions match pip's choice (dist pinned $dist_pins, pip chose $pip_pkgs)"
	[[ -z $differ ]] || echo "    differ (dist/pip): $differ"
	[[ -z $only_dist ]] || echo "    only dist: $only_dist"
	[[ -z $only_pip ]] || echo "    only pip:  $only_pip"
	echo "========================================================="
}
bench_finish
