package gitrepo

import (
	"bufio"
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
)

// tagRef is what refs/tags/NAME holds, and the commit (or other non-tag
// object) it peels to when packed-refs recorded that; zero otherwise.
type tagRef struct {
	obj, peeled plumbing.Hash
}

// tagRefs reads every tag ref straight from packed-refs and refs/tags/,
// loose refs winning as in git. go-git's reference iterator reads every ref
// of every kind through a chroot filesystem that lstats each path
// component, which for a thousand loose tags cost more than the rest of
// LatestReleaseTag together, and it drops the peeled values packed-refs
// keeps, which save reading a tag object per annotated tag.
func (r *Repo) tagRefs() (map[string]tagRef, error) {
	out := map[string]tagRef{}
	if err := readPackedTags(filepath.Join(r.commonDir, "packed-refs"), out); err != nil {
		return nil, err
	}
	base := filepath.Join(r.commonDir, "refs", "tags")
	var names []string
	err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if !d.IsDir() && !strings.HasSuffix(d.Name(), ".lock") {
			rel, _ := filepath.Rel(base, p)
			names = append(names, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// A ref file is 41 bytes: the cost is all in system calls, so read
	// them with the fewest (readSmallFile) and a few at a time.
	contents := make([]string, len(names))
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	workers := min(4, len(names))
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var buf [256]byte
			for i := w; i < len(names); i += workers {
				contents[i], errs[i] = readSmallFile(filepath.Join(base, filepath.FromSlash(names[i])), buf[:])
			}
		}(w)
	}
	wg.Wait()
	for i, name := range names {
		if errs[i] != nil {
			if errors.Is(errs[i], fs.ErrNotExist) {
				continue // deleted meanwhile
			}
			return nil, errs[i]
		}
		line := strings.TrimSpace(contents[i])
		if target, ok := strings.CutPrefix(line, "ref: "); ok {
			// A symbolic tag: rare enough to resolve the slow way.
			ref, err := r.st.Reference(plumbing.ReferenceName(target))
			if err == nil && ref.Type() == plumbing.HashReference {
				out[name] = tagRef{obj: ref.Hash()}
			}
			continue
		}
		if len(line) != 40 || !plumbing.IsHash(line) {
			continue // not a ref git would read either
		}
		out[name] = tagRef{obj: plumbing.NewHash(line)}
	}
	return out, nil
}

// readPackedTags adds packed-refs' tags to out. A "^HASH" line after a ref
// is the object an annotated tag peels to.
func readPackedTags(path string, out map[string]tagRef) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	last := ""
	// With the "peeled" trait (every git since 1.6.3 writes it), a tag
	// without a "^" line is no tag object: it peels to itself.
	peeledTrait := false
	for sc.Scan() {
		line := sc.Bytes()
		switch {
		case bytes.HasPrefix(line, []byte("# pack-refs with:")):
			for _, t := range bytes.Fields(line[len("# pack-refs with:"):]) {
				if string(t) == "peeled" || string(t) == "fully-peeled" {
					peeledTrait = true
				}
			}
		case len(line) == 0 || line[0] == '#':
		case line[0] == '^':
			if last != "" && len(line) == 41 {
				ref := out[last]
				ref.peeled = plumbing.NewHash(string(line[1:]))
				out[last] = ref
			}
		default:
			last = ""
			hash, name, ok := bytes.Cut(line, []byte{' '})
			if !ok || len(hash) != 40 || !bytes.HasPrefix(name, []byte("refs/tags/")) {
				continue
			}
			last = string(name[len("refs/tags/"):])
			ref := tagRef{obj: plumbing.NewHash(string(hash))}
			if peeledTrait {
				ref.peeled = ref.obj
			}
			out[last] = ref
		}
	}
	return sc.Err()
}
