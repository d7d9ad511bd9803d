package gitrepo

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	commitgraph "github.com/go-git/go-git/v5/plumbing/format/commitgraph/v2"
)

// openCommitGraph opens the commit-graph file git gc writes (or the chain
// of them `git commit-graph write --split` writes), mapped into memory, or
// returns nil when there is none or it does not read. It lists every
// commit's parents and time, so a history walk reads no commit objects for
// the commits it covers; commits made after it are read as usual, and a
// commit's entry never goes stale, as commits never change.
func (r *Repo) openCommitGraph() commitgraph.Index {
	info := filepath.Join(r.commonDir, "objects", "info")
	if f, err := openMapped(filepath.Join(info, "commit-graph"), "commit-graph"); err == nil {
		idx, err := commitgraph.OpenFileIndex(f)
		if err != nil {
			f.Close()
			return nil
		}
		return idx
	}
	chain, err := os.ReadFile(filepath.Join(info, "commit-graphs", "commit-graph-chain"))
	if err != nil {
		return nil
	}
	var idx commitgraph.Index
	fail := func() commitgraph.Index {
		if idx != nil {
			idx.Close()
		}
		return nil
	}
	for _, h := range strings.Fields(string(chain)) {
		if !plumbing.IsHash(h) {
			return fail()
		}
		f, err := openMapped(filepath.Join(info, "commit-graphs", "graph-"+h+".graph"), h)
		if err != nil {
			return fail()
		}
		next, err := commitgraph.OpenFileIndexWithParent(f, idx)
		if err != nil {
			f.Close()
			return fail()
		}
		idx = next
	}
	return idx
}

// graphCommit looks a commit up in the commit-graph: its time and parents.
func graphCommit(g commitgraph.Index, h plumbing.Hash) (when int64, parents []plumbing.Hash, ok bool) {
	if g == nil {
		return 0, nil, false
	}
	i, err := g.GetIndexByHash(h)
	if err != nil {
		return 0, nil, false
	}
	d, err := g.GetCommitDataByIndex(i)
	if err != nil {
		return 0, nil, false
	}
	return d.When.Unix(), d.ParentHashes, true
}
