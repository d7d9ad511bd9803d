package sources

import (
	"strings"
	"testing"

	"github.com/distbuild/dist/internal/fetch"
	"github.com/distbuild/dist/internal/manifest"
	"github.com/distbuild/dist/internal/source"
)

// TestBadIndexURLRedacted: an index URL that does not parse is refused
// without its password, from the flag, the environment or dist.yaml.
func TestBadIndexURLRedacted(t *testing.T) {
	bad := "https://user:s3cret%zz@127.0.0.1:1/simple"
	client := fetch.New(fetch.Options{CacheDir: t.TempDir()})
	for _, c := range []struct {
		name  string
		flag  string
		env   string
		index string
	}{{"flag", bad, "", ""}, {"env", "", bad, ""}, {"dist.yaml", "", "", bad}} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("PIP_INDEX_URL", c.env)
			_, err := Opener(client, Settings{IndexURL: c.flag})(&manifest.Lockfile{Ecosystem: source.PyPI, Index: c.index})
			if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "user:***@127.0.0.1") {
				t.Fatalf("got %v", err)
			}
		})
	}
}
