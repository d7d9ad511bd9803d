package gitrepo

import (
	"bufio"
	"bytes"
	"container/heap"
	"errors"
	"fmt"
	commitgraph "github.com/go-git/go-git/v5/plumbing/format/commitgraph/v2"
	"io"
	"strconv"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// TagName is the tag a version gets under a tag_format such as "{version}"
// or "v{version}".
func TagName(format, version string) string {
	return strings.Replace(format, "{version}", version, 1)
}

// VersionFromTag undoes TagName: the version a tag names under format, or
// false when the tag does not have the format's shape.
func VersionFromTag(format, tag string) (string, bool) {
	pre, post, ok := strings.Cut(format, "{version}")
	if !ok || len(tag) <= len(pre)+len(post) || !strings.HasPrefix(tag, pre) || !strings.HasSuffix(tag, post) {
		return "", false
	}
	return tag[len(pre) : len(tag)-len(post)], true
}

// Tag describes one tag.
type Tag struct {
	Name string
	// Object is what refs/tags/NAME holds: the tag object of an annotated
	// tag, the commit of a lightweight one. A remote advertises this hash.
	Object string
	// Commit is the commit the tag finally points at.
	Commit    string
	Annotated bool
}

// TagExists reports whether refs/tags/name exists.
func (r *Repo) TagExists(name string) (bool, error) {
	_, err := r.st.Reference(plumbing.NewTagReferenceName(name))
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return false, nil
	}
	return err == nil, err
}

// TagTarget describes tag name; the error wraps ErrTagNotFound when there
// is none. A re-run of a release compares Commit with HEAD to tell "my
// earlier run made this" from "someone else's tag".
func (r *Repo) TagTarget(name string) (Tag, error) {
	ref, err := r.st.Reference(plumbing.NewTagReferenceName(name))
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return Tag{}, fmt.Errorf("%s: %w", name, ErrTagNotFound)
	}
	if err != nil {
		return Tag{}, err
	}
	commit, annotated, err := r.peel(ref.Hash())
	if err != nil {
		return Tag{}, fmt.Errorf("tag %s: %w", name, err)
	}
	return Tag{Name: name, Object: ref.Hash().String(), Commit: commit.String(), Annotated: annotated}, nil
}

// peel follows tag objects (tags of tags too) down to a commit.
func (r *Repo) peel(h plumbing.Hash) (commit plumbing.Hash, annotated bool, err error) {
	for range 16 {
		obj, err := r.st.EncodedObject(plumbing.AnyObject, h)
		if err != nil {
			return plumbing.ZeroHash, annotated, err
		}
		switch obj.Type() {
		case plumbing.CommitObject:
			return h, annotated, nil
		case plumbing.TagObject:
			t, err := object.DecodeTag(r.st, obj)
			if err != nil {
				return plumbing.ZeroHash, annotated, err
			}
			annotated, h = true, t.Target
		default:
			return plumbing.ZeroHash, annotated, fmt.Errorf("points at a %s, not a commit", obj.Type())
		}
	}
	return plumbing.ZeroHash, annotated, errors.New("tag chain too long")
}

// Release is the release tag a plan compares with.
type Release[V any] struct {
	Tag     string
	Version V
	Commit  string
}

// LatestReleaseTag finds the highest-versioned tag that matches tagFormat
// and whose commit is reachable from HEAD (HEAD's own commit included): on
// a 1.0.x maintenance branch that is 1.0.x's last release, not 1.4.0 from
// main. parse reads the version part of a tag name, which must start with
// a digit (a tag it rejects is not a release tag), and cmp orders two
// versions; a generic V lets each tag be parsed once. Equal versions ("1.0"
// and "1.0.0") are told apart by tag name, so the answer does not depend on
// ref order. The error wraps ErrNoReleaseTag when no tag qualifies, and
// ErrShallow instead when the history is cut off before one is found.
//
// Cost, for the `dist plan` budget: every tag name is parsed once and
// compared once or twice (parse and cmp are most of the time left on a
// packed repository: keep them cheap); tag objects are read and history is walked only as
// far as needed. The highest candidate is found first and HEAD's history
// walked, newest commits first, until it meets that candidate's commit: on
// a release branch that is a few commits back. Proving a tag unreachable
// (a maintenance branch, whose higher tags live on main) costs one walk of
// HEAD's whole history; after it every reachable commit is known, and a
// linear scan picks the highest reachable candidate. Annotated tags are
// peeled with the values packed-refs records, reading a tag object only for
// a loose tag that could beat the best found so far.
func LatestReleaseTag[V any](r *Repo, tagFormat string, parse func(string) (V, error), cmp func(a, b V) int) (Release[V], error) {
	var none Release[V]
	if !strings.Contains(tagFormat, "{version}") {
		return none, fmt.Errorf("tag format %q has no {version}", tagFormat)
	}
	head, err := r.headCommit()
	if err != nil {
		return none, err
	}
	refs, err := r.tagRefs()
	if err != nil {
		return none, err
	}
	var cands []cand[V]
	for tag, ref := range refs {
		raw, ok := VersionFromTag(tagFormat, tag)
		if !ok || raw[0] < '0' || raw[0] > '9' {
			// PEP 440 parsers accept "v1.0" as 1.0: under "{version}" that
			// would make v-prefixed tags of another scheme releases.
			continue
		}
		v, err := parse(raw)
		if err != nil {
			continue
		}
		cands = append(cands, cand[V]{tag: tag, v: v, ref: ref})
	}
	// higher reports whether cands[i] beats cands[j]; the tag name breaks
	// ties so that the answer does not depend on map order.
	higher := func(i, j int) bool {
		if c := cmp(cands[i].v, cands[j].v); c != 0 {
			return c > 0
		}
		return cands[i].tag > cands[j].tag
	}
	found := func(i int, commit plumbing.Hash) (Release[V], error) {
		return Release[V]{Tag: cands[i].tag, Version: cands[i].v, Commit: commit.String()}, nil
	}
	if len(cands) == 0 {
		if sh, err := r.st.Shallow(); err == nil && len(sh) > 0 {
			return none, errShallow()
		}
		return none, ErrNoReleaseTag
	}

	w, err := newWalker(r, head)
	if err != nil {
		return none, err
	}
	defer w.close()
	top := 0
	for i := 1; i < len(cands); i++ {
		if higher(i, top) {
			top = i
		}
	}
	if commit, ok := r.peelRef(cands[top].ref); ok {
		reached, err := w.reaches(commit)
		if err != nil {
			return none, err
		}
		if reached {
			return found(top, commit)
		}
	}
	if err := w.exhaust(); err != nil {
		return none, err
	}

	// Every commit reachable from HEAD is in w.seen now. Settle what needs
	// no object read first, so that the best so far rules out most of the
	// loose tags that do.
	best, bestCommit := -1, plumbing.ZeroHash
	consider := func(i int, commit plumbing.Hash) {
		if _, ok := w.seen[commit]; ok && (best < 0 || higher(i, best)) {
			best, bestCommit = i, commit
		}
	}
	var unpeeled []int
	for i, c := range cands {
		switch {
		case i == top:
		case !c.ref.peeled.IsZero():
			consider(i, c.ref.peeled)
		case w.isCommit(c.ref.obj):
			consider(i, c.ref.obj) // a lightweight tag
		default:
			unpeeled = append(unpeeled, i)
		}
	}
	for _, i := range unpeeled {
		if best >= 0 && !higher(i, best) {
			continue
		}
		if commit, ok := r.peelRef(cands[i].ref); ok {
			consider(i, commit)
		}
	}
	if best >= 0 {
		return found(best, bestCommit)
	}
	if w.shallow {
		return none, errShallow()
	}
	return none, ErrNoReleaseTag
}

// errShallow says what fetches the history a shallow clone lacks.
func errShallow() error {
	return fmt.Errorf("%w: run git fetch --unshallow --tags, then try again", ErrShallow)
}

// peelRef is the commit a tag ref leads to, and false for a tag of a tree
// or blob or one whose object is missing (a shallow or damaged clone): not
// a release of this history.
func (r *Repo) peelRef(ref tagRef) (plumbing.Hash, bool) {
	if !ref.peeled.IsZero() {
		return ref.peeled, true
	}
	commit, _, err := r.peel(ref.obj)
	return commit, err == nil
}

type cand[V any] struct {
	tag string
	v   V
	ref tagRef
}

// walker enumerates the commits reachable from HEAD, newest committer time
// first, and can be resumed: seen holds every commit already known to be
// reachable, so a later question may be answered without walking at all.
type walker struct {
	r       *Repo
	seen    map[plumbing.Hash]struct{}
	queue   commitQueue
	cut     map[plumbing.Hash]bool // shallow boundary: parents not present
	shallow bool
	graph   commitgraph.Index // nil without a commit-graph file
}

func (w *walker) close() {
	if w.graph != nil {
		w.graph.Close()
	}
}

// isCommit reports whether h is known, without reading it, to be a commit.
func (w *walker) isCommit(h plumbing.Hash) bool {
	if _, ok := w.seen[h]; ok {
		return true
	}
	if w.graph == nil {
		return false
	}
	_, err := w.graph.GetIndexByHash(h)
	return err == nil
}

func newWalker(r *Repo, head *object.Commit) (*walker, error) {
	w := &walker{r: r, seen: map[plumbing.Hash]struct{}{head.Hash: {}}}
	sh, err := r.st.Shallow()
	if err != nil {
		return nil, err
	}
	w.graph = r.openCommitGraph()
	if len(sh) > 0 {
		w.shallow = true
		w.cut = map[plumbing.Hash]bool{}
		for _, h := range sh {
			w.cut[h] = true
		}
	}
	heap.Push(&w.queue, queued{head.Hash, head.Committer.When.Unix(), head.ParentHashes})
	return w, nil
}

// exhaust walks the rest of the history.
func (w *walker) exhaust() error {
	_, err := w.reaches(plumbing.ZeroHash)
	return err
}

func (w *walker) reaches(target plumbing.Hash) (bool, error) {
	if _, ok := w.seen[target]; ok {
		return true, nil
	}
	for w.queue.Len() > 0 {
		c := heap.Pop(&w.queue).(queued)
		if w.cut[c.hash] {
			continue
		}
		for _, p := range c.parents {
			if _, ok := w.seen[p]; ok {
				continue
			}
			w.seen[p] = struct{}{}
			when, parents, ok := graphCommit(w.graph, p)
			if ok {
				heap.Push(&w.queue, queued{p, when, parents})
				if p == target {
					return true, nil
				}
				continue
			}
			when, parents, err := w.r.commitHeader(p)
			if errors.Is(err, plumbing.ErrObjectNotFound) && w.shallow {
				continue
			}
			if err != nil {
				return false, fmt.Errorf("walk history: commit %s: %w", p, err)
			}
			heap.Push(&w.queue, queued{p, when, parents})
			if p == target {
				return true, nil
			}
		}
	}
	return false, nil
}

// commitHeader reads only what a history walk needs from a commit: its
// parents and committer time. Decoding whole commits (messages,
// signatures, identities) was most of the walk's cost.
func (r *Repo) commitHeader(h plumbing.Hash) (when int64, parents []plumbing.Hash, err error) {
	obj, err := r.st.EncodedObject(plumbing.CommitObject, h)
	if err != nil {
		return 0, nil, err
	}
	rd, err := obj.Reader()
	if err != nil {
		return 0, nil, err
	}
	defer rd.Close()
	br := bufio.NewReaderSize(rd, 512)
	for {
		line, err := br.ReadSlice('\n')
		if err != nil && err != bufio.ErrBufferFull {
			if err == io.EOF {
				return when, parents, nil
			}
			return 0, nil, err
		}
		if len(line) <= 1 {
			return when, parents, nil // end of the header
		}
		switch {
		case bytes.HasPrefix(line, []byte("parent ")):
			parents = append(parents, plumbing.NewHash(string(bytes.TrimSpace(line[len("parent "):]))))
		case bytes.HasPrefix(line, []byte("committer ")):
			// "committer NAME <EMAIL> SECONDS ZONE"
			f := bytes.Fields(line[bytes.LastIndexByte(line, '>')+1:])
			if len(f) > 0 {
				when, _ = strconv.ParseInt(string(f[0]), 10, 64)
			}
		}
		for err == bufio.ErrBufferFull { // an over-long header line: skip the rest
			_, err = br.ReadSlice('\n')
		}
	}
}

type queued struct {
	hash    plumbing.Hash
	when    int64
	parents []plumbing.Hash
}

type commitQueue []queued

func (q commitQueue) Len() int           { return len(q) }
func (q commitQueue) Less(i, j int) bool { return q[i].when > q[j].when }
func (q commitQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *commitQueue) Push(x any)        { *q = append(*q, x.(queued)) }
func (q *commitQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

// CreateAnnotatedTag tags HEAD with an annotated tag object carrying
// message, signed with signKey when it is not nil (a detached OpenPGP
// signature that `git tag -v` checks). The tagger is Ident(true). An
// existing tag is never moved: the error wraps ErrTagExists, and TagTarget
// tells whether it already points at HEAD.
func (r *Repo) CreateAnnotatedTag(name, message string, signKey *openpgp.Entity) (Tag, error) {
	if err := plumbing.NewTagReferenceName(name).Validate(); err != nil {
		return Tag{}, fmt.Errorf("tag name %q: %w", name, err)
	}
	head, err := r.headCommit()
	if err != nil {
		return Tag{}, err
	}
	tagger, err := r.Ident(true)
	if err != nil {
		return Tag{}, err
	}
	if strings.TrimSpace(message) == "" {
		message = "Tagging " + name
	}
	refName := plumbing.NewTagReferenceName(name)
	if _, err := r.st.Reference(refName); err == nil {
		return Tag{}, fmt.Errorf("%s: %w", name, ErrTagExists)
	}
	// The tag object is written as go-git's CreateTag writes it; the ref
	// goes through refs/tags/NAME.lock and a rename, as git writes it.
	if !strings.HasSuffix(message, "\n") {
		message += "\n"
	}
	tag := &object.Tag{Name: name, Tagger: tagger, Message: message, TargetType: plumbing.CommitObject, Target: head.Hash}
	if signKey != nil {
		enc := &plumbing.MemoryObject{}
		if err := tag.Encode(enc); err != nil {
			return Tag{}, err
		}
		rd, err := enc.Reader()
		if err != nil {
			return Tag{}, err
		}
		var sig bytes.Buffer
		if err := openpgp.ArmoredDetachSign(&sig, signKey, rd, nil); err != nil {
			return Tag{}, fmt.Errorf("sign tag %s: %w", name, err)
		}
		tag.PGPSignature = sig.String()
	}
	obj := r.st.NewEncodedObject()
	if err := tag.Encode(obj); err != nil {
		return Tag{}, err
	}
	h, err := r.st.SetEncodedObject(obj)
	if err != nil {
		return Tag{}, fmt.Errorf("create tag %s: %w", name, err)
	}
	if err := r.updateRef(refName, h, nil); err != nil {
		return Tag{}, err
	}
	return Tag{Name: name, Object: h.String(), Commit: head.Hash.String(), Annotated: true}, nil
}
