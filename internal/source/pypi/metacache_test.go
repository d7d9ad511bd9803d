package pypi

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/distbuild/dist/internal/fetch"
	"github.com/distbuild/dist/internal/testenv/pyindex"
)

// What Metadata read is found again by the lockfile's hashes with no index
// at all, from the PEP 658 file or from a file downloaded before; a cache
// that holds neither says so.
func TestCachedMetadata(t *testing.T) {
	ctx := context.Background()
	for _, pep658 := range []bool{true, false} {
		srv := pyindex.Start(t, withDeps())
		srv.SetCoreMetadata(pep658)
		dir := t.TempDir()
		online := New(fetch.New(fetch.Options{CacheDir: dir, RetryWaitMin: time.Millisecond}), srv.IndexURL(), Options{})
		if _, err := online.Metadata(ctx, "kinto", "14.3.0"); err != nil {
			t.Fatal(err)
		}
		hashes := srv.Hashes("Kinto", "14.3.0")
		offline := New(fetch.New(fetch.Options{CacheDir: dir, RetryWaitMin: time.Millisecond}), "http://127.0.0.1:1/simple", Options{})
		m, err := offline.CachedMetadata("Kinto", "14.3.0", hashes)
		checkKinto(t, m, err)
		// Another version's hashes are not this one's metadata.
		if _, err := offline.CachedMetadata("Kinto", "14.3.1", hashes); err == nil {
			t.Errorf("pep658=%v: metadata of 14.3.0 taken for 14.3.1", pep658)
		}
		empty := New(fetch.New(fetch.Options{CacheDir: t.TempDir()}), "http://127.0.0.1:1/simple", Options{})
		if _, err := empty.CachedMetadata("Kinto", "14.3.0", hashes); !errors.Is(err, ErrNotCached) {
			t.Errorf("pep658=%v: empty cache: %v, want ErrNotCached", pep658, err)
		}
	}

	// A wheel in the cache (a build or verify --download fetched it) is
	// read itself.
	srv := pyindex.Start(t, withDeps())
	dir := t.TempDir()
	c := fetch.New(fetch.Options{CacheDir: dir, RetryWaitMin: time.Millisecond})
	rel, err := New(c, srv.IndexURL(), Options{}).Release(ctx, "kinto", "14.3.0")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range rel.Artifacts {
		if _, err := c.Download(ctx, a.URL, a.Hash); err != nil {
			t.Fatal(err)
		}
	}
	m, err := New(c, "http://127.0.0.1:1/simple", Options{}).CachedMetadata("kinto", "14.3.0", srv.Hashes("Kinto", "14.3.0"))
	checkKinto(t, m, err)
}

func TestFileVersion(t *testing.T) {
	for _, tc := range []struct{ file, name, want string }{
		{"teamlib-1.0-py3-none-any.whl", "teamlib", "1.0"},
		{"team_lib-2.1rc1-py3-none-any.whl", "Team-Lib", "2.1rc1"},
		{"python-dateutil-2.9.0.tar.gz", "python-dateutil", "2.9.0"},
		{"download?id=3", "teamlib", ""},
		{"other-1.0-py3-none-any.whl", "teamlib", ""},
	} {
		if got, ok := FileVersion(tc.file, tc.name); got != tc.want || ok != (tc.want != "") {
			t.Errorf("FileVersion(%q, %q) = %q, %v", tc.file, tc.name, got, ok)
		}
	}
}
