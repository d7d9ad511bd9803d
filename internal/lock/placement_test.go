package lock

import (
	"strings"
	"testing"

	"github.com/distbuild/dist/internal/source"
)

// A spec that cannot be a Python project is told apart by its shape: an
// image reference with a tag, with or without a registry and path; a Go
// module path; anything a PEP 508 requirement can spell stays pypi's.
func TestGuessEcosystem(t *testing.T) {
	digest := "@sha256:" + strings.Repeat("0", 64)
	for spec, want := range map[string]string{
		"python:3.12-slim":                          source.OCI,
		"ubuntu:noble-20240605":                     source.OCI,
		"library/python:3.12":                       source.OCI,
		"docker.io/library/python:3.12-slim":        source.OCI,
		"127.0.0.1:5000/library/python:3.12":        source.OCI,
		"ghcr.io/org/app" + digest:                  source.OCI,
		"github.com/nats-io/nats-server/v2@v2.10.0": source.GoMod,
		"example.com/server":                        source.GoMod,
		"kinto":                                     "",
		"requests[socks]==2.32.3":                   "",
		"kinto>=14,<16":                             "",
		"kinto>=>14":                                "",
		"kinto @ https://example.org/kinto-1.0.whl": "",
		"kinto@https://example.org/kinto-1.0.whl":   "",
		`kinto ; python_version >= "3.8"`:           "",
		"Kinto:14":                                  "", // no image repository has capitals
		"kinto:":                                    "",
	} {
		if got := guessEcosystem(spec); got != want {
			t.Errorf("guessEcosystem(%q) = %q, want %q", spec, got, want)
		}
	}
}
