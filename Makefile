# dist: pin, version, build and ship a server distribution.
GO      ?= go
BIN     := bin/dist
VERSION := $(shell cat VERSION 2>/dev/null || echo devel)
LDFLAGS := -X github.com/distbuild/dist/internal/cli.Version=$(VERSION)

.PHONY: build test bench demo lint fuzz clean

build:
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/dist

# The whole suite: unit tests, end-to-end scripts against real local
# servers, and a short run of every fuzz target's seed corpus.
test: lint
	$(GO) test -count=1 ./...

lint:
	@out=$$(gofmt -l cmd internal); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

fuzz:
	$(GO) test -run XXX -fuzz FuzzParse -fuzztime 60s ./internal/lockfile/

bench: build
	$(GO) test -run XXX -bench . -benchtime 3x ./internal/...
	./scripts/bench/verify-download.sh
	./scripts/bench/lock-add-jobs.sh
	./scripts/bench/image-push.sh

demo: build
	./scripts/demo.sh

clean:
	rm -rf bin build
