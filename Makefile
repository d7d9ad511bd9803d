# dist: pin, version, build and ship a server distribution.
GO      ?= go
BIN     := bin/dist
VERSION := $(shell cat VERSION 2>/dev/null || echo devel)
LDFLAGS := -X github.com/distbuild/dist/internal/cli.Version=$(VERSION)

.PHONY: build install man test readme readme-update bench demo lint fuzz clean

build:
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/dist

# go install with the version linked in, into GOBIN (else the first GOPATH
# entry's bin), which is where `go install` puts programs; say how to put
# that directory on PATH when it is not there.
GOBIN_DIR = $(shell d=$$($(GO) env GOBIN); [ -n "$$d" ] || d=$$($(GO) env GOPATH | cut -d: -f1)/bin; echo "$$d")
install:
	$(GO) install -trimpath -ldflags "$(LDFLAGS)" ./cmd/dist
	@dir='$(GOBIN_DIR)'; echo "installed $$dir/dist"; \
	case ":$$PATH:" in *":$$dir:"*) ;; *) \
		echo "$$dir is not on your PATH; add it (and to your shell's profile):"; \
		echo "  export PATH=\"$$dir:\$$PATH\"";; esac

# The whole suite: unit tests, end-to-end scripts against real local
# servers, and a short run of every fuzz target's seed corpus.
test: lint
	$(GO) test -count=1 ./...

# One man page per command (dist.1, dist-lock-add.1, ...) in build/man,
# from the commands' help; `man -l build/man/dist.1` reads one, and
# packagers install them under share/man/man1.
man:
	rm -rf build/man
	DIST_VERSION=$(VERSION) $(GO) run ./scripts/gen-man build/man

# README.md's console examples, run in order and compared with what they
# print (TestREADME in internal/cli; make test runs it too). readme-update
# writes the real outputs into README.md instead, for after a change of
# output: review the diff. Both reach the Go module proxy for go-httpbin.
readme:
	DIST_TEST_NETWORK=1 $(GO) test -count=1 -run '^TestREADME$$' ./internal/cli/

readme-update:
	UPDATE_README=1 DIST_TEST_NETWORK=1 $(GO) test -count=1 -run '^TestREADME$$' ./internal/cli/

lint:
	@out=$$(gofmt -l cmd internal); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# Every parser's fuzz target in turn; FUZZTIME per target (the seed corpora
# already run in make test).
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run XXX -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./internal/lockfile/
	$(GO) test -run XXX -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./internal/changelog/
	$(GO) test -run XXX -fuzz '^FuzzINI$$' -fuzztime $(FUZZTIME) ./internal/configdiff/
	$(GO) test -run XXX -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./internal/configdiff/
	$(GO) test -run XXX -fuzz '^FuzzClassify$$' -fuzztime $(FUZZTIME) ./internal/version/
	$(GO) test -run XXX -fuzz '^FuzzParseFilename$$' -fuzztime $(FUZZTIME) ./internal/wheel/
	$(GO) test -run XXX -fuzz '^FuzzParseRequirement$$' -fuzztime $(FUZZTIME) ./internal/pep508/
	$(GO) test -run XXX -fuzz '^FuzzParseMarker$$' -fuzztime $(FUZZTIME) ./internal/pep508/
	$(GO) test -run XXX -fuzz '^FuzzParseSpecifiers$$' -fuzztime $(FUZZTIME) ./internal/pep440/
	$(GO) test -run XXX -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./internal/coremetadata/
	$(GO) test -run XXX -fuzz '^FuzzSolve$$' -fuzztime $(FUZZTIME) ./internal/resolver/

# The Go benchmarks, then every script in scripts/bench (image-deps.sh
# when it is there). A missed target is reported and the rest still run;
# with BENCH_STRICT=1 a miss makes its script exit 1, and then make fails
# at the end, as it does when a script fails for any other reason.
BENCH_SCRIPTS := verify-download lock-add-jobs resolve plan-tags plan release-cycle image-push image-deps

bench: build
	$(GO) test -run XXX -bench . -benchtime 3x ./internal/...
	@failed=; \
	for s in $(BENCH_SCRIPTS); do \
		f=./scripts/bench/$$s.sh; \
		if [ $$s = image-deps ] && [ ! -x $$f ]; then continue; fi; \
		echo "== $$f"; \
		$$f || failed="$$failed $$s"; \
	done; \
	if [ -n "$$failed" ]; then echo "bench: exited non-zero (an error, or a missed target under BENCH_STRICT=1):$$failed" >&2; exit 1; fi

demo: build
	./scripts/demo.sh

clean:
	rm -rf bin build
