package pypi

import (
	"context"
	"fmt"

	"github.com/distbuild/dist/internal/source"
)

var _ source.Fetcher = (*Source)(nil)

// Fetch downloads a file through the cache, checked against its sha256.
func (s *Source) Fetch(ctx context.Context, rel *source.Release, a source.Artifact) (string, error) {
	if a.Hash == "" {
		return "", fmt.Errorf("%s: the index publishes no sha256 for it", a.Filename)
	}
	p, err := s.client.Download(ctx, a.URL, a.Hash)
	if err != nil {
		return "", fmt.Errorf("%s==%s: %s: %w", rel.Name, rel.Version, a.Filename, err)
	}
	return p, nil
}
