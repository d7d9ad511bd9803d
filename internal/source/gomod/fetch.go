package gomod

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/distbuild/dist/internal/source"
)

var _ source.Fetcher = (*Source)(nil)

// Fetch returns a local copy of a module zip or go.mod, checked against the
// artifact's go.sum hash.
func (s *Source) Fetch(ctx context.Context, rel *source.Release, a source.Artifact) (string, error) {
	var local, got string
	var err error
	switch {
	case strings.HasSuffix(a.Filename, "/go.mod"):
		local, err = s.fetchFile(ctx, rel.Name, rel.Version, ".mod")
		if err == nil {
			var data []byte
			if data, err = os.ReadFile(local); err == nil {
				got, err = goModHash(data)
			}
		}
	case strings.HasSuffix(a.Filename, ".zip"):
		local, err = s.fetchFile(ctx, rel.Name, rel.Version, ".zip")
		if err == nil {
			got, _, err = zipHash(rel.Name, rel.Version, local)
		}
	default:
		err = fmt.Errorf("artifact %q is neither a module zip nor a go.mod", a.Filename)
	}
	if err != nil {
		return "", wrap(rel.Name, rel.Version, err)
	}
	if a.Hash != "" && got != a.Hash {
		return "", wrap(rel.Name, rel.Version, fmt.Errorf("%s: the lockfile says %s, the bytes hash to %s", a.Filename, a.Hash, got))
	}
	return local, nil
}

func (s *Source) fetchFile(ctx context.Context, name, version, ext string) (string, error) {
	rel, err := versionFile(name, version, ext)
	if err != nil {
		return "", err
	}
	var local string
	err = s.tryProxies(name, func(p proxy) error {
		var err error
		local, err = s.download(ctx, p.fileURL(rel))
		return err
	})
	return local, err
}
