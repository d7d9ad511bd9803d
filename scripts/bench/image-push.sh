#!/usr/bin/env bash
# image-push.sh: how fast does `dist build` build and push an image with a
# 200 MB layer to a local registry, compared with `crane append` pushing the
# same layer tar? How fast is a second push of the unchanged image? And how
# does building the repository's own image compare with pushing it?
#
# The registry is Debian's docker-registry (distribution 2.8) on 127.0.0.1
# with its own storage. Every timed first push goes to a new repository, so
# that nothing is skipped or mounted, and every first build starts with an
# empty DIST_CACHE_DIR. The big file is half random bytes, half base64 text,
# so that the compressor has both kinds of work; crane appends the very tar
# dist put in its files layer (taken from an untimed build).
#
# Run from anywhere after `make build`. Knobs (environment):
#   DIST=path/to/dist   binary to time (default: <repo>/bin/dist)
#   CRANE=path/to/crane default: crane on PATH, else $(go env GOPATH)/bin/crane
#   BENCH_RUNS=3        timed runs per command (the median is reported)
#   BENCH_MB=200        size of the big file, in MB
#   BENCH_TMPDIR=dir    where the registry storage, caches and files go
#   BENCH_STRICT=1      exit 1 when a target is missed (default: report only)
# Nothing is installed by this script.
set -euo pipefail

RUNS=${BENCH_RUNS:-3}
MB=${BENCH_MB:-200}
CMD_TIMEOUT=300 # seconds, per timed command

. "$(dirname "$0")/lib.sh"
bench_init image-push image
need_dist
OK_WORD=ok
# Every timed run numbers its own repository ($RUN): the date timer.
hyperfine=0
CRANE=${CRANE:-$(command -v crane || echo "$(go env GOPATH 2>/dev/null)/bin/crane")}
[[ -x $CRANE ]] || setup_error "crane not found (go install github.com/google/go-containerregistry/cmd/crane@v0.22.1)"
REGISTRY_BIN=$(command -v docker-registry || echo /usr/bin/docker-registry)
[[ -x $REGISTRY_BIN ]] || setup_error "docker-registry not found (apt-get install docker-registry)"
have python3 || setup_error "python3 is needed to read JSON"
# No credentials anywhere: the registry has no authentication.
export DOCKER_CONFIG=$work/docker

# ---- the registry ------------------------------------------------------------
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
host=127.0.0.1:$port
mkdir -p "$work/storage"
printf '%s\n' "version: 0.1" "log:" "  level: error" "  accesslog:" "    disabled: true" \
	"storage:" "  filesystem:" "    rootdirectory: $work/storage" \
	"http:" "  addr: $host" "  secret: bench" >"$work/registry.yml"
"$REGISTRY_BIN" serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
reg_pid=$!
cleanup_add_pid "$reg_pid"
for ((i = 0; i < 100; i++)); do
	python3 -c "import urllib.request as u; u.urlopen('http://$host/v2/')" 2>/dev/null && break
	kill -0 "$reg_pid" 2>/dev/null || { cat "$work/registry.log" >&2; die "docker-registry exited"; }
	sleep 0.1
done
log "registry: docker-registry on $host"

# ---- the distribution with the big file -------------------------------------
big=$work/big
mkdir -p "$big/data"
printf '%s\n' "name: bench-big" "image:" "  files: [{src: data, dst: /data}]" >"$big/dist.yaml"
echo 1.0.0 >"$big/VERSION"
half=$((MB * 500000))
head -c "$half" /dev/urandom >"$big/data/random.bin"
# Real text for the other half: Go's own sources, repeated as needed.
goroot=$(go env GOROOT 2>/dev/null || true)
[[ -d $goroot/src ]] || setup_error "no Go sources for the text half (go env GOROOT)"
find "$goroot/src" -name '*.go' -type f -print0 | sort -z | xargs -0 cat >"$work/text.src"
while (($(stat -c %s "$big/data/text.txt" 2>/dev/null || echo 0) < half)); do cat "$work/text.src" >>"$big/data/text.txt"; done
truncate -s "$half" "$big/data/text.txt"
rm -f "$work/text.src"
export SOURCE_DATE_EPOCH=1700000000
log "files: $(du -sh "$big/data" | cut -f1) in $big/data"
# Files younger than two seconds are always re-read (see tarlayer's statKey);
# let them settle so the second push measures what a user's rebuild does.
sleep 2

json() { python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"; }
# The layer tar dist builds, for crane: from an untimed build to a layout.
DIST_CACHE_DIR=$work/cache-ref "$DIST" -C "$big" build -o "oci-layout:$work/ref" >/dev/null
files_layer=$("$DIST" --json inspect "oci-layout:$work/ref" | json '[l["digest"] for l in d["layers"] if l["role"] == "files"][0]')
gzip -dc "$work/ref/blobs/sha256/${files_layer#sha256:}" >"$work/layer.tar"
log "layer tar: $(du -h "$work/layer.tar" | cut -f1), gzip-compressed by dist to $(du -h "$work/ref/blobs/sha256/${files_layer#sha256:}" | cut -f1)"
rm -rf "$work/cache-ref" "$work/ref"

# ---- timing ------------------------------------------------------------------
# timeit (lib.sh) runs the commands with $RUN, the run's number.
q() { printf '%q' "$1"; }
log_load "(other work on the machine skews every figure)"

# a. Build and push with a cold cache, to a new repository each run; then
# crane appending the same tar to a new repository each run.
timeit "dist build -o REGISTRY/dist-N:1.0.0 (cold cache)" "rm -rf $(q "$work/cache")" \
	"env DIST_CACHE_DIR=$(q "$work/cache") $(q "$DIST") -C $(q "$big") build -o $host/dist-\$RUN:1.0.0"
t_dist=$median
built=$(DIST_CACHE_DIR=$work/cache "$DIST" -C "$big" --json build -o "oci-layout:$work/check" | json 'd["digest"]')
pushed=$("$CRANE" digest --insecure "$host/dist-1:1.0.0")
[[ $built == "$pushed" ]] || die "the registry has $pushed, dist built $built"
log "registry digest = built digest = $built"

timeit "crane append -f layer.tar -t REGISTRY/crane-N:1.0.0" "true" \
	"$(q "$CRANE") append --insecure -f $(q "$work/layer.tar") -t $host/crane-\$RUN:1.0.0"
t_crane=$median

# b. The unchanged image again, to the same repository, warm cache.
timeit "dist build -o REGISTRY/dist-1:1.0.0 again (unchanged image)" "true" \
	"env DIST_CACHE_DIR=$(q "$work/cache") $(q "$DIST") -C $(q "$big") build -o $host/dist-1:1.0.0"
t_again=$median

# c. The repository's own image, from a clone: build only, then build + push.
self=$work/self
git clone -q "$repo" "$self"
unset SOURCE_DATE_EPOCH
timeit "dist build, this repository (oci-layout, cold cache)" "rm -rf $(q "$work/cache-self") $(q "$work/self-oci")" \
	"env DIST_CACHE_DIR=$(q "$work/cache-self") $(q "$DIST") -C $(q "$self") build -o oci-layout:$(q "$work/self-oci")"
t_self_build=$median
timeit "dist build -o REGISTRY/self-N, this repository (cold cache)" "rm -rf $(q "$work/cache-self")" \
	"env DIST_CACHE_DIR=$(q "$work/cache-self") $(q "$DIST") -C $(q "$self") build -o $host/self-\$RUN"
t_self_push=$median

# ---- summary -----------------------------------------------------------------
{
	echo
	echo "================ dist build + push benchmark ================"
	echo "registry: docker-registry (distribution 2.8) on 127.0.0.1, storage on $(fs_of "$work")"
	echo "machine:  $(nproc) CPUs, load average $(load_now) now; median of $RUNS runs"
	echo "image:    scratch base + one $(du -sh "$big/data" | cut -f1) files layer (half random bytes, half Go source text)"
	echo
	printf '  %-52s %s\n' "dist build + push (cold cache, new repository)" "$(fmt_s "$t_dist")"
	printf '  %-52s %s\n' "crane append of the same layer tar" "$(fmt_s "$t_crane")"
	printf '  %-52s %s\n' "dist build + push again (unchanged image)" "$(fmt_s "$t_again")"
	printf '  %-52s %s\n' "this repository's image: build only (oci-layout)" "$(fmt_s "$t_self_build")"
	printf '  %-52s %s\n' "this repository's image: build + push" "$(fmt_s "$t_self_push")"
	echo
	echo "  dist:  DIST_CACHE_DIR=<fresh> SOURCE_DATE_EPOCH=1700000000 dist -C DIR build -o HOST/dist-N:1.0.0"
	echo "  crane: crane append --insecure -f layer.tar -t HOST/crane-N:1.0.0"
	echo
	r=$(ratio "$t_dist" "$t_crane" 3)
	target "$r" "<=" 1
	echo "  dist / crane append        = ${r}   (target <= 1: $verdict)"
	r=$(ratio "$t_again" "$t_dist" 3)
	target "$r" "<" 0.05
	echo "  second push / first push   = ${r}   (target < 0.05: $verdict)"
	echo "  build only / build + push  = $(ratio "$t_self_build" "$t_self_push" 3)   (this repository's image)"
	echo "============================================================="
}
bench_finish
