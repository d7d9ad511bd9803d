package plan

import (
	"strings"
	"testing"

	"github.com/distbuild/dist/internal/gitrepo"
	"github.com/distbuild/dist/internal/manifest"
	"github.com/distbuild/dist/internal/testenv/gitenv"
)

// TestChangelog walks dist changelog through a release cycle on a real
// repository: the generated entry merged with what is written by hand,
// printed, then written once; an entry started where there is none; and
// the prepared entry left alone.
func TestChangelog(t *testing.T) {
	r := gitenv.New(t)
	r.Commit("release 1.0.0", map[string]string{
		"dist.yaml":             "name: demo\nlockfiles:\n  - path: lockfiles/default.txt\n    ecosystem: pypi\n",
		"VERSION":               "1.0.0\n",
		"CHANGELOG.md":          "# Changelog\n\n## 1.0.0 (2024-01-01)\n\n- First release.\n",
		"lockfiles/default.txt": "alpha==1.1.0 --hash=sha256:00\n",
	})
	r.AnnotatedTag("1.0.0", "HEAD", "1.0.0")
	r.Commit("upgrade alpha", map[string]string{
		"VERSION":               "1.0.1.dev0\n",
		"CHANGELOG.md":          "# Changelog\n\n## 1.0.1 (unreleased)\n\n- Faster start.\n\n## 1.0.0 (2024-01-01)\n\n- First release.\n",
		"lockfiles/default.txt": "alpha==1.2.0 --hash=sha256:01\n",
	})
	m, err := manifest.Load(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	run := func(o ChangelogOptions) *ChangelogEntry {
		t.Helper()
		repo, err := gitrepo.Open(r.Dir)
		if err != nil {
			t.Fatal(err)
		}
		defer repo.Close()
		e, err := Changelog(m, repo, o)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	committed := r.Read("CHANGELOG.md")

	// Printed: the upgrade's section beside the hand-written line;
	// nothing is written.
	e := run(ChangelogOptions{})
	if e.Version != "1.0.1" || !e.Changed || e.Written || e.Prepared != "" || e.File != "CHANGELOG.md" {
		t.Errorf("printed: %+v", e)
	}
	for _, want := range []string{"## 1.0.1 (unreleased)", "- Faster start.", "**alpha 1.1.0 → 1.2.0**"} {
		if !strings.Contains(e.Text, want) {
			t.Errorf("entry lacks %q:\n%s", want, e.Text)
		}
	}
	if r.Read("CHANGELOG.md") != committed {
		t.Fatal("written without Write")
	}

	// Written once, with the diff of what changed; then up to date.
	w := run(ChangelogOptions{Write: true})
	if !w.Written || w.Text != e.Text || !strings.Contains(w.Diff, "+**alpha 1.1.0 → 1.2.0**") {
		t.Errorf("written: %+v", w)
	}
	if got := r.Read("CHANGELOG.md"); !strings.Contains(got, e.Text) {
		t.Errorf("the file holds:\n%s", got)
	}
	if again := run(ChangelogOptions{Write: true}); again.Changed || again.Written || again.Diff != "" {
		t.Errorf("again: %+v", again)
	}

	// Prepared by prerelease, not tagged: the dated entry, as it is.
	prepared := "# Changelog\n\n## 1.1.0 (2024-02-01)\n\n- Faster start.\n\n## 1.0.0 (2024-01-01)\n\n- First release.\n"
	r.Commit("Preparing release 1.1.0", map[string]string{"VERSION": "1.1.0\n", "CHANGELOG.md": prepared})
	e = run(ChangelogOptions{Write: true})
	if e.Prepared != "1.1.0" || e.Date != "2024-02-01" || e.Written || e.Text != "## 1.1.0 (2024-02-01)\n\n- Faster start.\n" {
		t.Errorf("prepared: %+v", e)
	}
	if r.Read("CHANGELOG.md") != prepared {
		t.Error("the prepared entry was changed")
	}

	// Tagged, and no postrelease: the next entry is started.
	r.AnnotatedTag("1.1.0", "HEAD", "1.1.0")
	e = run(ChangelogOptions{})
	if e.Prepared != "" || e.Version != "1.1.1" || e.Date != "" || !e.Changed {
		t.Errorf("after the tag: %+v", e)
	}
}
