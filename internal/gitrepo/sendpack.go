package gitrepo

import (
	"bufio"
	"bytes"
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	commitgraph "github.com/go-git/go-git/v5/plumbing/format/commitgraph/v2"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/plumbing/transport/client"
	"github.com/go-git/go-git/v5/utils/ioutil"
)

// ErrPushRejected is wrapped by the error of a push that would have lost
// commits or moved a tag on the remote, or that the remote refused.
var ErrPushRejected = errors.New("rejected")

// push is go-git's Remote.PushContext with git's choice of what to send.
// go-git lists the objects to send by walking every commit and tree
// reachable from every ref the remote advertises, so a push cost as much as
// the whole history; git, and this, walk from the new tips only until they
// meet commits the remote has, and read only the trees where the new
// commits differ from their parents. go-git still does the talking: the
// transport, the pack encoder and the report.
func (c *conn) push(ctx context.Context, specs []config.RefSpec) (err error) {
	ep := c.ep
	cl, err := client.NewClient(ep)
	if err != nil {
		return err
	}
	sess, err := cl.NewReceivePackSession(ep, c.auth)
	if err != nil {
		return err
	}
	defer ioutil.CheckClose(sess, &err)
	ar, err := sess.AdvertisedReferencesContext(ctx)
	if err != nil {
		return err
	}
	r := c.rm.r
	cmds, err := r.pushCommands(specs, ar)
	if err != nil || len(cmds) == 0 {
		return err
	}
	h, err := r.newHistory()
	if err != nil {
		return err
	}
	defer h.close()
	for _, cmd := range cmds {
		if err := h.checkUpdate(cmd); err != nil {
			return err
		}
	}

	req := packp.NewReferenceUpdateRequestFromCapabilities(ar.Capabilities)
	req.Commands = cmds
	allDelete := true
	for _, cmd := range cmds {
		if !cmd.New.IsZero() {
			allDelete = false
		}
	}
	var encoded chan error
	if !allDelete {
		hashes, err := h.objectsToSend(cmds, ar)
		if err != nil {
			return err
		}
		cfg, err := r.st.Config()
		if err != nil {
			return err
		}
		// Streamed, so that a first push of a large history is not held
		// in memory (over HTTP go-git buffers the request anyway).
		pr, pw := io.Pipe()
		req.Packfile = pr
		encoded = make(chan error, 1)
		refDeltas := !ar.Capabilities.Supports(capability.OFSDelta)
		go func() {
			_, err := packfile.NewEncoder(pw, r.st, refDeltas).Encode(hashes, cfg.Pack.Window)
			pw.CloseWithError(err)
			encoded <- err
		}()
		defer pr.Close()
	}
	rs, err := sess.ReceivePack(ctx, req)
	if encoded != nil {
		if err != nil {
			// Unblock the encoder if the transport stopped reading.
			req.Packfile.Close()
		}
		if encErr := <-encoded; encErr != nil && !errors.Is(encErr, io.ErrClosedPipe) {
			return fmt.Errorf("write the pack: %w", encErr)
		}
	}
	if rs != nil && rs.UnpackStatus == "ok" {
		// The remote took the objects and refused a ref (a hook, or a
		// setting such as receive.denyDeletes): a rejection like ours.
		for _, cs := range rs.CommandStatuses {
			if cs.Error() != nil {
				return fmt.Errorf("%s: %w by the remote: %s", cs.ReferenceName, ErrPushRejected, cs.Status)
			}
		}
	}
	if err != nil {
		return err
	}
	if rs != nil {
		if err := rs.Error(); err != nil {
			return err
		}
	}
	return c.rm.trackPushed(cmds)
}

// pushCommands turns refspecs into ref updates against what the remote
// advertises, leaving out those the remote already equals.
func (r *Repo) pushCommands(specs []config.RefSpec, ar *packp.AdvRefs) ([]*packp.Command, error) {
	var cmds []*packp.Command
	byName := map[plumbing.ReferenceName]*packp.Command{}
	add := func(dst plumbing.ReferenceName, h plumbing.Hash) error {
		if prev, ok := byName[dst]; ok {
			if prev.New != h {
				return fmt.Errorf("%s: more than one refspec updates it", dst)
			}
			return nil
		}
		old := ar.References[dst.String()]
		cmd := &packp.Command{Name: dst, Old: old, New: h}
		byName[dst] = cmd
		if old != h {
			cmds = append(cmds, cmd)
		}
		return nil
	}
	for _, rs := range specs {
		switch {
		case rs.IsDelete():
			dst := rs.Dst("")
			if ar.References[dst.String()].IsZero() {
				continue
			}
			if !ar.Capabilities.Supports(capability.DeleteRefs) {
				return nil, git.ErrDeleteRefNotSupported
			}
			if err := add(dst, plumbing.ZeroHash); err != nil {
				return nil, err
			}
		case rs.IsWildcard():
			refs, err := r.st.IterReferences()
			if err != nil {
				return nil, err
			}
			err = refs.ForEach(func(ref *plumbing.Reference) error {
				if ref.Type() != plumbing.HashReference || !rs.Match(ref.Name()) {
					return nil
				}
				return add(rs.Dst(ref.Name()), ref.Hash())
			})
			if err != nil {
				return nil, err
			}
		default:
			h, err := r.resolvePushSource(rs.Src())
			if err != nil {
				return nil, err
			}
			if err := add(rs.Dst(""), h); err != nil {
				return nil, err
			}
		}
	}
	return cmds, nil
}

// resolvePushSource reads a refspec's source: a ref (a symbolic one such
// as HEAD followed) or an object hash. go-git silently pushed nothing for
// a source it did not find, which made a typo look like success.
func (r *Repo) resolvePushSource(src string) (plumbing.Hash, error) {
	ref, err := storer.ResolveReference(r.st, plumbing.ReferenceName(src))
	if err == nil {
		return ref.Hash(), nil
	}
	if !errors.Is(err, plumbing.ErrReferenceNotFound) {
		return plumbing.ZeroHash, fmt.Errorf("read %s: %w", src, err)
	}
	if plumbing.IsHash(src) {
		h := plumbing.NewHash(src)
		if r.st.HasEncodedObject(h) == nil {
			return h, nil
		}
	}
	return plumbing.ZeroHash, fmt.Errorf("%s matches no local ref or object", src)
}

// trackPushed moves the remote-tracking refs (refs/remotes/origin/...)
// of a configured remote to what was pushed, as git and go-git do.
func (rm *remote) trackPushed(cmds []*packp.Command) error {
	for _, spec := range rm.target.fetch {
		for _, cmd := range cmds {
			if !spec.Match(cmd.Name) {
				continue
			}
			local := spec.Dst(cmd.Name)
			var err error
			if cmd.New.IsZero() {
				err = rm.r.st.RemoveReference(local)
			} else {
				err = rm.r.st.SetReference(plumbing.NewHashReference(local, cmd.New))
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// checkUpdate refuses what only a forced push would do: move a tag, or
// move any other ref to a commit that does not descend from the one it is
// at (including one this repository has not fetched).
func (h *history) checkUpdate(cmd *packp.Command) error {
	if cmd.Old.IsZero() || cmd.New.IsZero() {
		return nil
	}
	if strings.HasPrefix(cmd.Name.String(), "refs/tags/") {
		return fmt.Errorf("%s: %w (already exists): the remote's tag is %s, and a tag is never moved", cmd.Name, ErrPushRejected, cmd.Old)
	}
	if err := h.r.st.HasEncodedObject(cmd.Old); err != nil {
		return fmt.Errorf("%s: %w (fetch first): the remote is at %s, which this repository does not have", cmd.Name, ErrPushRejected, cmd.Old)
	}
	ok, err := h.isAncestor(cmd.Old, cmd.New)
	if err != nil {
		return fmt.Errorf("%s: %w", cmd.Name, err)
	}
	if !ok {
		return fmt.Errorf("%s: %w (non-fast-forward): the remote's %s is not an ancestor of %s", cmd.Name, ErrPushRejected, cmd.Old, cmd.New)
	}
	return nil
}

// commitInfo is what walks need of a commit.
type commitInfo struct {
	when    int64
	inGraph bool
	gen     uint64 // topological level from the commit-graph, 0 when unknown
	tree    plumbing.Hash
	parents []plumbing.Hash
}

// history reads commits for the push's walks, from the commit-graph when
// it has them and otherwise from their headers alone.
type history struct {
	r       *Repo
	graph   commitgraph.Index
	shallow map[plumbing.Hash]bool
	cache   map[plumbing.Hash]*commitInfo
}

func (r *Repo) newHistory() (*history, error) {
	h := &history{r: r, cache: map[plumbing.Hash]*commitInfo{}}
	sh, err := r.st.Shallow()
	if err != nil {
		return nil, err
	}
	if len(sh) > 0 {
		h.shallow = map[plumbing.Hash]bool{}
		for _, c := range sh {
			h.shallow[c] = true
		}
	}
	h.graph = r.openCommitGraph()
	return h, nil
}

func (h *history) close() {
	if h.graph != nil {
		h.graph.Close()
	}
}

// commit reads commit c; obj, when not nil, is c already read.
func (h *history) commit(c plumbing.Hash, obj plumbing.EncodedObject) (*commitInfo, error) {
	if ci, ok := h.cache[c]; ok {
		return ci, nil
	}
	ci, err := h.read(c, obj)
	if err != nil {
		return nil, err
	}
	if h.shallow[c] {
		// Its parents were never fetched: the history ends here.
		ci.parents = nil
	}
	h.cache[c] = ci
	return ci, nil
}

func (h *history) read(c plumbing.Hash, obj plumbing.EncodedObject) (*commitInfo, error) {
	if h.graph != nil {
		if i, err := h.graph.GetIndexByHash(c); err == nil {
			if d, err := h.graph.GetCommitDataByIndex(i); err == nil {
				return &commitInfo{when: d.When.Unix(), inGraph: true, gen: d.Generation, tree: d.TreeHash, parents: d.ParentHashes}, nil
			}
		}
	}
	if obj == nil {
		var err error
		if obj, err = h.r.st.EncodedObject(plumbing.CommitObject, c); err != nil {
			return nil, err
		}
	}
	return parseCommitHeader(obj)
}

// parseCommitHeader reads the tree, parents and committer time, and not
// the rest (identities, message, signature) that decoding would.
func parseCommitHeader(obj plumbing.EncodedObject) (*commitInfo, error) {
	rd, err := obj.Reader()
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	ci := &commitInfo{}
	br := bufio.NewReaderSize(rd, 512)
	for {
		line, err := br.ReadSlice('\n')
		if err != nil && err != bufio.ErrBufferFull {
			if err == io.EOF {
				break
			}
			return nil, err
		}
		if len(line) <= 1 {
			break // the end of the header
		}
		switch {
		case bytes.HasPrefix(line, []byte("tree ")):
			ci.tree = plumbing.NewHash(string(bytes.TrimSpace(line[len("tree "):])))
		case bytes.HasPrefix(line, []byte("parent ")):
			ci.parents = append(ci.parents, plumbing.NewHash(string(bytes.TrimSpace(line[len("parent "):]))))
		case bytes.HasPrefix(line, []byte("committer ")):
			if f := bytes.Fields(line[bytes.LastIndexByte(line, '>')+1:]); len(f) > 0 {
				ci.when, _ = strconv.ParseInt(string(f[0]), 10, 64)
			}
		}
		for err == bufio.ErrBufferFull { // an over-long line (a signature): skip the rest
			_, err = br.ReadSlice('\n')
		}
	}
	if ci.tree.IsZero() {
		return nil, fmt.Errorf("commit %s has no tree", obj.Hash())
	}
	return ci, nil
}

// isAncestor reports whether old is new or one of its ancestors: a walk
// back from new, newest first, so the usual case (old a few commits
// behind) stops at once. Commits the commit-graph numbers are not walked
// below old's generation, as none of their ancestors can be old; without
// it a rejected push walks new's whole history.
func (h *history) isAncestor(old, new plumbing.Hash) (bool, error) {
	if old == new {
		return true, nil
	}
	oc, err := h.commit(old, nil)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return false, nil // there but not a commit
	}
	if err != nil {
		return false, err
	}
	nc, err := h.commit(new, nil)
	if err != nil {
		return false, fmt.Errorf("commit %s: %w", new, err)
	}
	seen := map[plumbing.Hash]bool{new: true}
	var q commitQueue
	heap.Push(&q, queued{new, nc.when, nc.parents})
	for q.Len() > 0 {
		c := heap.Pop(&q).(queued)
		for _, p := range c.parents {
			if p == old {
				return true, nil
			}
			if seen[p] {
				continue
			}
			seen[p] = true
			pc, err := h.commit(p, nil)
			if err != nil {
				return false, fmt.Errorf("walk history: commit %s: %w", p, err)
			}
			if pc.inGraph && (!oc.inGraph || pc.gen != 0 && oc.gen != 0 && pc.gen <= oc.gen) {
				// The graph holds p and all its ancestors, each at a
				// lower level than its children: old, outside the graph
				// or not below p, is not one of them.
				continue
			}
			heap.Push(&q, queued{p, pc.when, pc.parents})
		}
	}
	return false, nil
}

const (
	paintNew  = 1 // reachable from a tip being pushed
	paintHave = 2 // reachable from a ref the remote has
)

// objectsToSend lists the objects the remote lacks for cmds, the way git
// push does.
//
// The commits to send are those reachable from the new tips and not from
// anything the remote advertises, found by walking both sides newest first
// (as git's merge-base does) until every commit still queued is known to
// be the remote's. Clock skew can only make the walk call new a commit the
// remote has: more objects sent, never fewer.
//
// Their trees are then read as git's sparse algorithm (pack.useSparse)
// does: everything in a tree the remote has is the remote's, but of the
// remote's trees only those at paths where a new commit's tree differs
// are read. Last, each new commit's tree is listed, descending only where
// it differs from its parents' trees: what it shares with a parent is
// either the remote's (the parent is) or listed with the parent (the
// parent is new too).
func (h *history) objectsToSend(cmds []*packp.Command, ar *packp.AdvRefs) ([]plumbing.Hash, error) {
	w := &paintWalk{h: h, flags: map[plumbing.Hash]uint8{}, queued: map[plumbing.Hash]bool{}}
	s := &objectSet{r: h.r, have: map[plumbing.Hash]bool{}, sent: map[plumbing.Hash]bool{}}

	for name, adv := range ar.References {
		if adv.IsZero() {
			continue
		}
		if peeled, ok := ar.Peeled[name]; ok {
			s.have[adv] = true
			adv = peeled
		}
		if err := w.tip(s, adv, paintHave); err != nil {
			return nil, err
		}
	}
	for _, cmd := range cmds {
		if cmd.New.IsZero() || s.have[cmd.New] {
			continue
		}
		if err := w.tip(s, cmd.New, paintNew); err != nil {
			return nil, fmt.Errorf("%s: %w", cmd.Name, err)
		}
	}
	if err := w.run(); err != nil {
		return nil, err
	}

	var commits []plumbing.Hash
	roots := map[plumbing.Hash]bool{}
	for c, f := range w.flags {
		if f != paintNew {
			continue
		}
		commits = append(commits, c)
		roots[h.cache[c].tree] = true
		for _, p := range h.cache[c].parents {
			if w.flags[p]&paintHave != 0 {
				t := h.cache[p].tree
				roots[t] = true
				s.have[t] = true
			}
		}
	}
	for _, t := range w.trees {
		roots[t] = true
	}
	if err := s.markHave(roots); err != nil {
		return nil, err
	}

	for _, c := range commits {
		ci := h.cache[c]
		s.add(c)
		var bases []plumbing.Hash
		for _, p := range ci.parents {
			if w.flags[p] != 0 {
				bases = append(bases, h.cache[p].tree)
			}
		}
		if err := s.addTree(ci.tree, bases); err != nil {
			return nil, fmt.Errorf("commit %s: %w", c, err)
		}
	}
	for _, t := range w.trees {
		if err := s.addTree(t, nil); err != nil {
			return nil, err
		}
	}
	return s.hashes, nil
}

type paintWalk struct {
	h       *history
	flags   map[plumbing.Hash]uint8
	queue   commitQueue
	queued  map[plumbing.Hash]bool
	newOnly int             // queued commits painted paintNew and not paintHave
	trees   []plumbing.Hash // new trees that tags point at
}

// tip starts the walk at a ref's object: a tag is peeled (a new tag
// object is sent), a commit is painted, a tree or blob the remote has is
// noted, and a new tree is kept for after the walk.
func (w *paintWalk) tip(s *objectSet, h plumbing.Hash, paint uint8) error {
	for range 16 {
		if paint == paintHave {
			if _, ok := w.flags[h]; ok || s.have[h] {
				return nil
			}
		}
		obj, err := w.h.r.st.EncodedObject(plumbing.AnyObject, h)
		if errors.Is(err, plumbing.ErrObjectNotFound) && paint == paintHave {
			return nil // the remote has what this repository lacks
		}
		if err != nil {
			return fmt.Errorf("object %s: %w", h, err)
		}
		switch obj.Type() {
		case plumbing.CommitObject:
			return w.paint(h, obj, paint)
		case plumbing.TagObject:
			if paint == paintHave {
				s.have[h] = true
			} else if !s.add(h) {
				return nil
			}
			t, err := object.DecodeTag(w.h.r.st, obj)
			if err != nil {
				return err
			}
			h = t.Target
		case plumbing.TreeObject:
			if paint == paintHave {
				s.have[h] = true
			} else {
				w.trees = append(w.trees, h)
			}
			return nil
		default:
			if paint == paintHave {
				s.have[h] = true
			} else {
				s.add(h)
			}
			return nil
		}
	}
	return errors.New("tag chain too long")
}

func (w *paintWalk) paint(c plumbing.Hash, obj plumbing.EncodedObject, paint uint8) error {
	old := w.flags[c]
	f := old | paint
	if f == old {
		return nil
	}
	ci, err := w.h.commit(c, obj)
	if err != nil {
		if paint == paintHave && errors.Is(err, plumbing.ErrObjectNotFound) {
			return nil
		}
		return fmt.Errorf("commit %s: %w", c, err)
	}
	w.flags[c] = f
	if w.queued[c] {
		if old == paintNew {
			w.newOnly--
		}
		return nil
	}
	// Queued again if already walked: its parents take the new paint.
	w.queued[c] = true
	heap.Push(&w.queue, queued{c, ci.when, ci.parents})
	if f == paintNew {
		w.newOnly++
	}
	return nil
}

func (w *paintWalk) run() error {
	for w.newOnly > 0 {
		c := heap.Pop(&w.queue).(queued)
		w.queued[c.hash] = false
		f := w.flags[c.hash]
		if f == paintNew {
			w.newOnly--
		}
		for _, p := range c.parents {
			if err := w.paint(p, nil, f); err != nil {
				return err
			}
		}
	}
	return nil
}

// objectSet collects the objects to send (sent) apart from those the
// remote is known to have (have).
type objectSet struct {
	r      *Repo
	have   map[plumbing.Hash]bool
	sent   map[plumbing.Hash]bool
	hashes []plumbing.Hash
}

func (s *objectSet) add(h plumbing.Hash) bool {
	if s.have[h] || s.sent[h] {
		return false
	}
	s.sent[h] = true
	s.hashes = append(s.hashes, h)
	return true
}

// markHave is git's mark_trees_uninteresting_sparse: trees are the trees
// found at one path, some the remote's (in have) and some new. Where both
// kinds are, every entry of the remote's trees is the remote's, and the
// subtrees are compared the same way, path by path; elsewhere nothing is
// read. So a file or directory moved from a path the remote has is known
// to be the remote's wherever a new tree puts it.
func (s *objectSet) markHave(trees map[plumbing.Hash]bool) error {
	hasNew, hasHave := false, false
	for t := range trees {
		if s.have[t] {
			hasHave = true
		} else {
			hasNew = true
		}
	}
	if !hasNew || !hasHave {
		return nil
	}
	// The remote's trees first, so that a new tree the remote has too
	// (a subtree moved) is read as the remote's.
	loaded := make([]*object.Tree, 0, len(trees))
	for _, pass := range []bool{true, false} {
		for t := range trees {
			if s.have[t] != pass {
				continue
			}
			tree, err := object.GetTree(s.r.st, t)
			if err != nil {
				return fmt.Errorf("tree %s: %w", t, err)
			}
			loaded = append(loaded, tree)
			if pass {
				for _, e := range tree.Entries {
					if e.Mode != filemode.Submodule {
						s.have[e.Hash] = true
					}
				}
			}
		}
	}
	byPath := map[string]map[plumbing.Hash]bool{}
	for _, tree := range loaded {
		for _, e := range tree.Entries {
			if e.Mode != filemode.Dir {
				continue
			}
			if byPath[e.Name] == nil {
				byPath[e.Name] = map[plumbing.Hash]bool{}
			}
			byPath[e.Name][e.Hash] = true
		}
	}
	for _, sub := range byPath {
		if err := s.markHave(sub); err != nil {
			return err
		}
	}
	return nil
}

// addTree adds tree t and what it holds but the remote has, descending
// only into entries that differ from the entry of the same name in every
// one of bases (the trees at the same path in the parent commits).
func (s *objectSet) addTree(t plumbing.Hash, bases []plumbing.Hash) error {
	for _, b := range bases {
		if b == t {
			return nil
		}
	}
	if !s.add(t) {
		return nil
	}
	tree, err := object.GetTree(s.r.st, t)
	if err != nil {
		return fmt.Errorf("tree %s: %w", t, err)
	}
	baseEntries := make([]map[string]object.TreeEntry, 0, len(bases))
	for _, b := range bases {
		bt, err := object.GetTree(s.r.st, b)
		if err != nil {
			return fmt.Errorf("tree %s: %w", b, err)
		}
		m := make(map[string]object.TreeEntry, len(bt.Entries))
		for _, e := range bt.Entries {
			m[e.Name] = e
		}
		baseEntries = append(baseEntries, m)
	}
	for _, e := range tree.Entries {
		if e.Mode == filemode.Submodule || s.have[e.Hash] || s.sent[e.Hash] {
			continue // a submodule's commit is another repository's
		}
		var sub []plumbing.Hash
		same := false
		for _, m := range baseEntries {
			be, ok := m[e.Name]
			if !ok {
				continue
			}
			if be.Hash == e.Hash {
				same = true
				break
			}
			if be.Mode == filemode.Dir {
				sub = append(sub, be.Hash)
			}
		}
		switch {
		case same:
		case e.Mode == filemode.Dir:
			if err := s.addTree(e.Hash, sub); err != nil {
				return err
			}
		default:
			s.add(e.Hash)
		}
	}
	return nil
}
