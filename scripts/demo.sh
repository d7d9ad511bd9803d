#!/usr/bin/env bash
# make demo: the whole release cycle on this repository's own distribution
# (go-httpbin, pinned in lockfiles/go.txt), in a temporary copy, with nothing
# but Go and the Go module proxy: verify, render, plan, prerelease, release
# (image into an OCI layout and a local registry, tag and branch pushed to a
# local bare remote; its report printed with --json, as build/release.json
# keeps it), inspect, the SBOM and provenance, verify-image, promote,
# postrelease; then a development build that moves the dev channel, where
# each channel stands (dist status), and what promoting dev to prod would
# change (dist diff).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dist="$root/bin/dist"
[ -x "$dist" ] || { echo "demo: run make build first" >&2; exit 2; }

tmp=$(mktemp -d)
regpid=""
cleanup() {
	[ -n "$regpid" ] && kill "$regpid" 2>/dev/null || true
	chmod -R u+w "$tmp" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

step() {
	printf '\n\033[1m$ %s\033[0m\n' "$*"
	"$@"
}

# A registry on loopback, in memory.
(cd "$root" && go build -o "$tmp/demo-registry" ./scripts/demo-registry)
"$tmp/demo-registry" >"$tmp/registry.addr" 2>"$tmp/registry.log" &
regpid=$!
for _ in $(seq 100); do [ -s "$tmp/registry.addr" ] && break; sleep 0.05; done
reg=$(head -1 "$tmp/registry.addr")
echo "demo: local registry at $reg, work in $tmp"

# A temporary copy of the distribution, its own git repository with a bare
# remote to push to.
repo="$tmp/go-httpbin-dist"
mkdir -p "$repo"
(cd "$root" && cp -r dist.yaml VERSION CHANGELOG.md lockfiles templates config "$repo/")
sed -i "s#repository: localhost:5000/#repository: $reg/#" "$repo/dist.yaml"
export GIT_AUTHOR_NAME="dist demo" GIT_AUTHOR_EMAIL="demo@dist.invalid"
export GIT_COMMITTER_NAME="dist demo" GIT_COMMITTER_EMAIL="demo@dist.invalid"
export DIST_TODAY=$(date -u +%Y-%m-%d)
git init -q --bare "$tmp/remote.git"
cd "$repo"
git init -q -b main
git remote add origin "$tmp/remote.git"
printf '/build/\n' >.gitignore
git add -A
git commit -qm "go-httpbin-dist $(cat VERSION)"

step "$dist" lock verify --download
step "$dist" config render --check
step "$dist" plan
step "$dist" prerelease
step "$dist" release --json
step "$dist" inspect "$reg/go-httpbin-dist:$(cat VERSION)"
# The SBOM and the provenance, as the release wrote them beside the image
# in build/oci (and pushed them to the registry).
sbom=$(grep -l --binary-files=without-match '"spdxVersion"' build/oci/blobs/sha256/* | head -1)
prov=$(grep -l --binary-files=without-match '"predicateType"' build/oci/blobs/sha256/* | head -1)
step head -40 "$sbom"
step cat "$prov"
# The same commit rebuilds to the same digest.
step "$dist" verify-image "$reg/go-httpbin-dist:$(cat VERSION)"
version=$(cat VERSION)
step "$dist" promote "$version" stage
step "$dist" promote "$version" prod
step "$dist" postrelease
step git log --oneline --decorate -n 3
step git --git-dir="$tmp/remote.git" tag -n1
# Back on main, a development build: pushed, it moves dev (track: main).
step "$dist" build -o "$reg/go-httpbin-dist"
step "$dist" status --history
step "$dist" diff prod dev
echo
echo "demo: done. The images are in $reg (gone when the demo exits) and in build/oci of the copy."
