#!/usr/bin/env bash
# image-deps.sh: how fast does `dist build` install dependencies into an
# image, without running anything inside it?
#
# a. A Kinto-shaped image: 30 pure-Python wheels of ~1.3 MB (~40 MB), pinned
#    in a hashed pypi lockfile and served by a local PEP 691 index
#    (internal/testenv/pyindex/cmd/pyindex), installed into image.python's
#    site-packages. `dist build -o oci-layout:DIR` with a cold cache (fresh
#    DIST_CACHE_DIR: index pages, downloads, hash checks, unpacking and the
#    compressed layer all count) against `pip install --no-deps --target DIR`
#    of the same wheels from a local directory (--no-index --find-links, the
#    same hashed lockfile), which is pip's install time alone: no index, no
#    download. Target: dist <= pip.
# b. The repository's own image (the root dist.yaml: go-httpbin built from
#    lockfiles/go.txt for linux/amd64 and linux/arm64) rebuilt with a warm
#    cache, into a fresh OCI layout each run. Target: under 2 s. It needs the
#    real Go module proxy and checksum database (GOPROXY, GOSUMDB as `go env`
#    says); the built go-httpbin is then run from the unpacked image, with
#    the image's environment, and must answer GET /get with 200.
#
# Run from anywhere after `make build`. Knobs (environment):
#   DIST=path/to/dist    binary to time (default: <repo>/bin/dist)
#   BENCH_RUNS=5         timed runs per command (the median is reported)
#   BENCH_TMPDIR=dir     where the index, caches and outputs go
#   BENCH_SKIP_GO=1      skip b (no network to the Go module proxy)
#   BENCH_STRICT=1       exit 1 when a target is missed (default: report only)
#   BENCH_NO_HYPERFINE=1 time with date +%s.%N even when hyperfine is there
# Needs go, python3 with pip, curl, tar. Nothing is installed by this script.
set -euo pipefail

RUNS=${BENCH_RUNS:-5}
WHEELS=30
SIZE_KB=1365 # per file; 30 wheels of ~1.3 MB make ~40 MB
CMD_TIMEOUT=300

. "$(dirname "$0")/lib.sh"
bench_init image-deps deps
need_dist
need_tools go python3 curl tar
python3 -m pip --version >/dev/null 2>&1 || setup_error "python3 -m pip is needed"
OK_WORD=ok
# pip reads only what this script says.
export PIP_CONFIG_FILE=/dev/null PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
unset PIP_FIND_LINKS PIP_EXTRA_INDEX_URL PIP_INDEX_URL PIP_TARGET

bytes_in() { find "$1" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%d", s }'; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }
q() { printf %q "$1"; }

log_load "(other work on the machine skews every figure)"

# ---- a. the Kinto-shaped image against pip install ---------------------------
go_build pyindex internal/testenv/pyindex/cmd/pyindex
kinto=$work/kinto-dist
mkdir -p "$kinto/lockfiles" "$kinto/config"
cat >"$kinto/dist.yaml" <<'EOF'
name: kinto-dist
lockfiles:
  - path: lockfiles/default.txt
    ecosystem: pypi
image:
  base: scratch
  platforms: [linux/amd64]
  entrypoint: ["kinto", "start", "--ini", "/etc/kinto.ini"]
  files: [{src: config/example.ini, dst: /etc/kinto.ini}]
  python: {site_packages: /usr/local/lib/python3.12/site-packages, interpreter: /usr/local/bin/python3}
EOF
echo 20.0.0 >"$kinto/VERSION"
printf '[app:main]\nkinto.storage_backend = kinto.core.storage.memory\n' >"$kinto/config/example.ini"
lockfile=$kinto/lockfiles/default.txt

# Each project has an sdist and one py3-none-any wheel, both pinned: dist
# and pip each pick the wheel.
start_server pyindex "$work/index.out" "$work/pyindex" -addr 127.0.0.1:0 -projects "$WHEELS" -files 2 -size "$SIZE_KB" -lockfile "$lockfile"
index=$url
log "index: $index"

# The wheels, for pip's local directory (untimed).
wheels=$work/wheels
python3 -m pip download -q --no-deps --no-cache-dir --only-binary=:all: --python-version 3.12 --platform any \
	--index-url "$index" -r "$lockfile" -d "$wheels" >&2
n_wheels=$(find "$wheels" -name '*.whl' | wc -l)
[[ $n_wheels == "$WHEELS" ]] || die "expected $WHEELS wheels, pip downloaded $n_wheels"
wheel_bytes=$(bytes_in "$wheels")
log "wheels: $n_wheels, $(mb "$wheel_bytes")"

# One untimed check run of each: the same files in site-packages.
dist_cache=$work/dist-cache
out=$work/oci
dist_cmd="env DIST_CACHE_DIR=$(q "$dist_cache") PIP_INDEX_URL=$(q "$index") SOURCE_DATE_EPOCH=1700000000 $(q "$DIST") -C $(q "$kinto") build -o oci-layout:$(q "$out")"
dist_prep="rm -rf $(q "$dist_cache") $(q "$out")"
bash -c "$dist_prep"
bash -c "$dist_cmd" >&2
target=$work/pip-target
pip_cmd="python3 -m pip install -q --no-deps --no-cache-dir --no-index --find-links $(q "$wheels") --target $(q "$target") -r $(q "$lockfile")"
pip_prep="rm -rf $(q "$target")"
bash -c "$pip_prep"
bash -c "$pip_cmd" >&2
layer=$("$DIST" --json inspect "oci-layout:$out" | python3 -c '
import json, sys
print([l["digest"] for l in json.load(sys.stdin)["layers"] if l["role"] == "dependencies"][0].split(":")[1])')
mkdir -p "$work/unpacked"
tar -xzf "$out/blobs/sha256/$layer" -C "$work/unpacked"
site=$work/unpacked/usr/local/lib/python3.12/site-packages
(cd "$site" && find . -type f ! -name RECORD ! -name INSTALLER ! -name REQUESTED ! -name direct_url.json | sort) >"$work/dist.files"
(cd "$target" && find . -type f ! -name RECORD ! -name INSTALLER ! -name REQUESTED ! -name direct_url.json ! -name '*.pyc' | sort) >"$work/pip.files"
cmp -s "$work/dist.files" "$work/pip.files" || { diff "$work/dist.files" "$work/pip.files" | head >&2; die "dist and pip installed different files"; }
log "dist and pip installed the same $(wc -l <"$work/dist.files") files (RECORD, INSTALLER, REQUESTED, .pyc aside)"
layer_bytes=$(stat -c %s "$out/blobs/sha256/$layer")

timeit "dist build -o oci-layout:DIR (cold cache)" "$dist_prep" "$dist_cmd"
t_dist=$median
timeit "pip install --no-deps --target DIR (local wheels)" "$pip_prep" "$pip_cmd"
t_pip=$median
# ---- b. the repository's own image, rebuilt with a warm cache ---------------
t_go=
go_note=
if [[ ${BENCH_SKIP_GO:-0} == 1 ]]; then
	go_note="skipped (BENCH_SKIP_GO=1)"
else
	own=$work/go-httpbin-dist
	mkdir -p "$own"
	(cd "$repo" && cp -r dist.yaml VERSION CHANGELOG.md lockfiles templates config "$own/")
	own_cache=$work/own-cache
	own_out=$work/own-oci
	own_cmd="env DIST_CACHE_DIR=$(q "$own_cache") SOURCE_DATE_EPOCH=1700000000 $(q "$DIST") -C $(q "$own") build -o oci-layout:$(q "$own_out")"
	own_prep="rm -rf $(q "$own_out")"
	log ""
	log "== warming the cache: the repository's own image (network: $(go env GOPROXY))"
	t0=$(date +%s.%N)
	if bash -c "$own_cmd" >&2; then
		t_cold=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
		log "first build: $t_cold s"
		timeit "dist build of go-httpbin-dist (warm cache)" "$own_prep" "$own_cmd"
		t_go=$median
		# Run the server the image holds, with the image's environment.
		entry=$(python3 - "$own_out" "$work/httpbin-root" "$work/httpbin.env" <<'EOF'
import json, os, subprocess, sys
out, root, envfile = sys.argv[1:]
blob = lambda d: os.path.join(out, "blobs", "sha256", d.split(":")[1])
top = json.load(open(blob(json.load(open(os.path.join(out, "index.json")))["manifests"][0]["digest"])))
m = next(m for m in top["manifests"] if m["platform"]["architecture"] == "amd64")
man = json.load(open(blob(m["digest"])))
cfg = json.load(open(blob(man["config"]["digest"])))
os.makedirs(root, exist_ok=True)
for l in man["layers"]:
    subprocess.check_call(["tar", "-xzf", blob(l["digest"]), "-C", root])
with open(envfile, "w") as f:
    f.write("\n".join(e for e in cfg["config"]["Env"] if not e.startswith(("HOST=", "PORT="))) + "\n")
print(cfg["config"]["Entrypoint"][0])
EOF
		)
		port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
		# shellcheck disable=SC2046
		env -i $(cat "$work/httpbin.env") HOST=127.0.0.1 PORT="$port" "$work/httpbin-root$entry" >"$work/httpbin.log" 2>&1 &
		httpbin_pid=$!
		cleanup_add_pid "$httpbin_pid"
		code=000
		for ((i = 0; i < 50; i++)); do
			code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/get" || true)
			[[ $code == 200 ]] && break
			sleep 0.1
		done
		kill "$httpbin_pid" 2>/dev/null || true
		wait "$httpbin_pid" 2>/dev/null || true
		[[ $code == 200 ]] || { cat "$work/httpbin.log" >&2; die "go-httpbin from the image answered $code to GET /get"; }
		go_note="go-httpbin from the image answered GET /get with 200; first (cold) build $t_cold s"
	else
		go_note="the first build failed (no Go module proxy?): skipped"
	fi
fi

# ---- summary -----------------------------------------------------------------
{
	echo
	echo "==================== dist build: the dependencies layer ===================="
	echo "machine:  $(nproc) CPUs, load average $(load_now) now; temp dir on $(fs_of "$work")"
	echo "timing:   $(timer_name), median of $RUNS"
	echo
	echo "a. Kinto-shaped image: $n_wheels wheels, $(mb "$wheel_bytes"), from pyindex on 127.0.0.1"
	printf '  %-52s %s   layer %s\n' "dist build -o oci-layout:DIR (cold cache)" "$(fmt_s "$t_dist")" "$(mb "$layer_bytes")"
	printf '  %-52s %s\n' "pip install --no-deps --target DIR (local wheels)" "$(fmt_s "$t_pip")"
	echo "  dist: DIST_CACHE_DIR=<fresh> PIP_INDEX_URL=INDEX SOURCE_DATE_EPOCH=1700000000 dist -C DIR build -o oci-layout:OUT"
	echo "  pip:  python3 -m pip install -q --no-deps --no-cache-dir --no-index --find-links WHEELS --target DIR -r LOCKFILE"
	echo "        ($(python3 -m pip --version | cut -d' ' -f1-2), $(python3 --version); pip also writes .pyc files, dist does not)"
	target "$t_dist" "<=" "$t_pip"
	echo "  dist / pip = $(ratio "$t_dist" "$t_pip")x   (target <= 1x: $verdict)"
	echo
	echo "b. the repository's own image (go-httpbin, linux/amd64 + linux/arm64), warm cache"
	if [[ -n $t_go ]]; then
		target "$t_go" "<" 2
		printf '  %-52s %s   (target < 2 s: %s)\n' "dist build -o oci-layout:DIR (warm cache)" "$(fmt_s "$t_go")" "$verdict"
	fi
	echo "  $go_note"
	echo "==========================================================================="
}
bench_finish
