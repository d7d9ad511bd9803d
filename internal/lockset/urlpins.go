package lockset

import (
	"context"
	"net/url"
	"path"

	"github.com/distbuild/dist/internal/coremetadata"
	"github.com/distbuild/dist/internal/lockfile"
	"github.com/distbuild/dist/internal/pydeps"
	"github.com/distbuild/dist/internal/source/pypi"
)

// A "name @ URL --hash=…" line pins a file, not an index release: pip
// installs it (PipRefusals says when not), and the completeness check
// reads its requirements from the file itself, at the version its filename
// states, so that what it requires, and what requires it, are checked like
// any pin's.

// urlVersion returns the version a URL line's filename states.
func urlVersion(e *lockfile.Entry) (string, bool) {
	name := path.Base(e.Version)
	if u, err := url.Parse(e.Version); err == nil {
		name = path.Base(u.Path)
	}
	return pypi.FileVersion(name, e.Name)
}

// fileMetadata is a source that reads the metadata of a file off the
// index, by URL and hash (pypi.Source).
type fileMetadata interface {
	FileMetadata(ctx context.Context, name, version, fileURL string, hashes []string) (*coremetadata.Metadata, error)
}

type urlPin struct {
	url    string
	hashes []string
}

// urlPins returns the set's hashed URL lines whose filename states a
// version, by pinKey.
func (s *PySet) urlPins() map[string]urlPin {
	out := map[string]urlPin{}
	for _, l := range s.Entries() {
		if !l.Entry.IsURL() || len(l.Entry.Hashes) == 0 {
			continue // pip refuses an unhashed one: nothing to read
		}
		if v, ok := urlVersion(l.Entry); ok {
			out[pinKey(l.Entry.Name, v)] = urlPin{l.Entry.Version, l.Entry.Hashes}
		}
	}
	return out
}

// urlIndex reads the metadata of the set's URL lines from their files, the
// rest from the index.
type urlIndex struct {
	pydeps.Index
	files map[string]urlPin
	src   fileMetadata
}

func (x urlIndex) Metadata(ctx context.Context, name, version string) (*coremetadata.Metadata, error) {
	if f, ok := x.files[pinKey(name, version)]; ok && x.src != nil {
		return x.src.FileMetadata(ctx, name, version, f.url, f.hashes)
	}
	return x.Index.Metadata(ctx, name, version)
}
