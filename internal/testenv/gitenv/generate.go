package gitenv

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// Spec describes a generated history: a long main branch with a release
// tag every few commits and, optionally, a maintenance branch forked at one
// of those releases with patch releases of its own.
type Spec struct {
	// Commits on main (at least 1).
	Commits int
	// Tags on main, spread evenly with the last one on the last commit. Tag
	// k (from 0) is version k/50 . k%50 . 0, so 1,000 tags run from 0.0.0
	// to 19.49.0 and every version sorts after the one before it. Even
	// tags are annotated, odd ones lightweight.
	Tags int
	// Format names tags: "{version}" or "v{version}" (default "{version}").
	Format string
	// MaintFrom, when not empty, is the version of a main tag to fork the
	// maintenance branch MaintBranch at (say "10.0.0" and "10.0.x").
	MaintFrom   string
	MaintBranch string
	// MaintCommits on the maintenance branch, with a patch release
	// (10.0.1, 10.0.2, ...) on every second one.
	MaintCommits int
	// Files is the number of files the tree holds besides VERSION (each
	// commit changes VERSION and one of them).
	Files int
}

// TagVersion is the version of main's k-th tag (see Spec.Tags).
func TagVersion(k int) string { return fmt.Sprintf("%d.%d.0", k/50, k%50) }

func (s Spec) tagName(v string) string {
	f := s.Format
	if f == "" {
		f = "{version}"
	}
	return string(bytes.Replace([]byte(f), []byte("{version}"), []byte(v), 1))
}

// Generate makes a repository at dir (created if needed) holding the
// history s describes, written in one git fast-import stream so that
// thousands of commits take well under a second. HEAD is main, checked
// out; refs are loose, as fast-import leaves them (call git pack-refs or
// gc for packed ones).
func Generate(dir string, s Spec) error {
	if s.Commits < 1 {
		return fmt.Errorf("gitenv: Spec.Commits must be at least 1")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	env := Env()
	if _, err := Run(dir, env, nil, "init", "-q", "-b", "main"); err != nil {
		return err
	}
	if err := appendConfig(filepath.Join(dir, ".git", "config")); err != nil {
		return err
	}

	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	clock := Epoch
	ident := func() string {
		clock += 60
		return fmt.Sprintf("%s <%s> %d +0000", Name, Email, clock)
	}
	data := func(b string) { fmt.Fprintf(w, "data %d\n%s\n", len(b), b) }

	// Which commit (1-based mark) carries main's k-th tag: evenly spread,
	// the last tag on the last commit.
	tagAt := map[int][]int{}
	for k := 0; k < s.Tags; k++ {
		c := s.Commits - (s.Tags-1-k)*s.Commits/max(s.Tags, 1)
		if c < 1 {
			c = 1
		}
		tagAt[c] = append(tagAt[c], k)
	}
	forkMark := 0
	type tag struct {
		name      string
		mark      int
		annotated bool
	}
	var tags []tag
	commit := func(ref string, mark, from int, version string) {
		fmt.Fprintf(w, "commit %s\nmark :%d\n", ref, mark)
		id := ident()
		fmt.Fprintf(w, "author %s\ncommitter %s\n", id, id)
		data(fmt.Sprintf("Change %d", mark))
		if from > 0 {
			fmt.Fprintf(w, "from :%d\n", from)
		}
		fmt.Fprintf(w, "M 100644 inline VERSION\n")
		data(version)
		if s.Files > 0 {
			if from == 0 {
				for i := 0; i < s.Files; i++ {
					fmt.Fprintf(w, "M 100644 inline src/f%04d.txt\n", i)
					data(fmt.Sprintf("file %d\n", i))
				}
			}
			fmt.Fprintf(w, "M 100644 inline src/f%04d.txt\n", mark%s.Files)
			data(fmt.Sprintf("file %d changed by %d\n", mark%s.Files, mark))
		}
		w.WriteString("\n")
	}
	for c := 1; c <= s.Commits; c++ {
		commit("refs/heads/main", c, c-1, fmt.Sprintf("%d.dev0", c))
		for _, k := range tagAt[c] {
			v := TagVersion(k)
			tags = append(tags, tag{s.tagName(v), c, k%2 == 0})
			if v == s.MaintFrom {
				forkMark = c
			}
		}
	}
	if s.MaintFrom != "" {
		if forkMark == 0 {
			return fmt.Errorf("gitenv: no main tag has version %s", s.MaintFrom)
		}
		var major, minor int
		fmt.Sscanf(s.MaintFrom, "%d.%d.", &major, &minor)
		from := forkMark
		for i := 1; i <= s.MaintCommits; i++ {
			mark := s.Commits + i
			commit("refs/heads/"+s.MaintBranch, mark, from, fmt.Sprintf("maint %d", i))
			from = mark
			if i%2 == 0 {
				tags = append(tags, tag{s.tagName(fmt.Sprintf("%d.%d.%d", major, minor, i/2)), mark, true})
			}
		}
	}
	for _, t := range tags {
		if t.annotated {
			fmt.Fprintf(w, "tag %s\nfrom :%d\ntagger %s\n", t.name, t.mark, ident())
			data("Tagging " + t.name)
		} else {
			fmt.Fprintf(w, "reset refs/tags/%s\nfrom :%d\n\n", t.name, t.mark)
		}
	}
	w.WriteString("done\n")
	if err := w.Flush(); err != nil {
		return err
	}
	if out, err := Run(dir, env, buf.Bytes(), "fast-import", "--quiet", "--done"); err != nil {
		return fmt.Errorf("%v\n%s", err, out)
	}
	// fast-import writes objects and refs only: fill the index and the
	// work tree from HEAD.
	_, err := Run(dir, env, nil, "reset", "-q", "--hard", "HEAD")
	return err
}

// MustGenerate is Generate into a fresh temporary directory, as a Repo whose
// clock starts after the generated history.
func MustGenerate(t testing.TB, s Spec) *Repo {
	t.Helper()
	dir := t.TempDir()
	if err := Generate(dir, s); err != nil {
		t.Fatal(err)
	}
	r := &Repo{T: t, Dir: dir, clock: new(atomic.Int64)}
	r.clock.Store(int64(s.Commits+s.MaintCommits+s.Tags) + 1)
	return r
}
