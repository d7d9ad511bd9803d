// Package gitinfo reads the two facts an image build needs from the
// repository it builds: the commit it is built from and that commit's time.
// It uses go-git directly so that the image code does not depend on the
// release code's git package.
package gitinfo

import (
	"errors"
	"fmt"
	"time"

	git "github.com/go-git/go-git/v5"
)

// Head is the commit checked out in a repository.
type Head struct {
	Commit string    // full hex hash
	Time   time.Time // committer time, in UTC
}

// ErrNotRepository is returned for a directory outside any git repository.
var ErrNotRepository = errors.New("not a git repository")

// Read returns HEAD of the repository containing dir (dir may be a
// subdirectory or a linked worktree).
func Read(dir string) (*Head, error) {
	repo, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return nil, fmt.Errorf("%s: %w", dir, ErrNotRepository)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	ref, err := repo.Head()
	if err != nil {
		return nil, fmt.Errorf("%s: reading HEAD: %w (is there a commit yet?)", dir, err)
	}
	c, err := repo.CommitObject(ref.Hash())
	if err != nil {
		return nil, fmt.Errorf("%s: reading commit %s: %w", dir, ref.Hash(), err)
	}
	// The committer time, not the author time: it is when the commit came to
	// be what it is, and it moves forward on rebase and cherry-pick, so that a
	// rebuilt history never goes back in time.
	return &Head{Commit: c.Hash.String(), Time: c.Committer.When.UTC()}, nil
}
