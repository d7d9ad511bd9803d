package lock

import (
	"errors"
	"testing"

	"github.com/distbuild/dist/internal/failure"
)

func TestParseSpec(t *testing.T) {
	for _, tc := range []struct{ eco, in, name, ver string }{
		{"pypi", "kinto", "kinto", ""},
		{"pypi", "kinto==14.3.0", "kinto", "14.3.0"},
		{"gomod", "github.com/mccutchen/go-httpbin/v2@v2.26.0", "github.com/mccutchen/go-httpbin/v2", "v2.26.0"},
		{"gomod", "example.com/x@latest", "example.com/x", ""},
		{"gomod", "example.com/x==v1.0.0", "example.com/x", "v1.0.0"},
		{"oci", "docker.io/library/python:3.12-slim", "docker.io/library/python", "3.12-slim"},
		{"oci", "localhost:5000/app", "localhost:5000/app", ""},
		{"oci", "localhost:5000/app:1.0", "localhost:5000/app", "1.0"},
	} {
		sp, err := ParseSpec(tc.eco, tc.in)
		if err != nil || sp.Name != tc.name || sp.Version != tc.ver {
			t.Errorf("%s %q: %+v %v", tc.eco, tc.in, sp, err)
		}
	}
	for _, tc := range []struct{ in, name, extras, ver, spec string }{
		{"requests[socks]==2.32.3", "requests", "[socks]", "2.32.3", ""},
		{"requests[ socks , Security ]", "requests", "[socks,Security]", "", ""},
		{"kinto>=14,<15", "kinto", "", "", ">=14,<15"},
		{"kinto >= 14 , < 15", "kinto", "", "", ">=14,<15"},
		{"kinto~=14.3", "kinto", "", "", "~=14.3"},
		{"kinto==14.*", "kinto", "", "", "==14.*"},
		{"kinto===14.3.1", "kinto", "", "14.3.1", ""},
		{"kinto[postgresql]>=14", "kinto", "[postgresql]", "", ">=14"},
	} {
		sp, err := ParseSpec("pypi", tc.in)
		if err != nil || sp.Name != tc.name || sp.Extras != tc.extras || sp.Version != tc.ver || sp.Specifiers != tc.spec {
			t.Errorf("pypi %q: %+v %v", tc.in, sp, err)
		}
	}
	for _, bad := range []string{"==1.0", "kinto==", "a b", "kinto>=", "kinto @ https://example.org/kinto.whl",
		`kinto ; python_version >= "3.8"`, "github.com/nats-io/nats-server/v2@v2.10.0"} {
		_, err := ParseSpec("pypi", bad)
		var ue *failure.UsageError
		if !errors.As(err, &ue) {
			t.Errorf("%q: %v, want a usage error", bad, err)
		}
	}
}

func TestSameHashes(t *testing.T) {
	if got := sameHashes([]string{"sha256:AA", "sha256:bb"}, []string{"sha256:bb", "sha256:aa"}); !got {
		t.Error("hex digests differ only in case and order: same")
	}
	if sameHashes([]string{"h1:Ab="}, []string{"h1:ab="}) {
		t.Error("base64 hashes are case-sensitive")
	}
}
