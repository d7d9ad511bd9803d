package gitrepo

import (
	"container/heap"
	"errors"
	"fmt"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	git "github.com/go-git/go-git/v5"
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
// main. parse reads the version part of a tag name (a tag it rejects is not
// a release tag) and cmp orders two versions; a generic V lets each tag be
// parsed once. Equal versions ("1.0" and "1.0.0") are told apart by tag
// name, so the answer does not depend on ref order. The error wraps
// ErrNoReleaseTag when no tag qualifies.
//
// Cost: every tag name is parsed, but tag objects are read and history is
// walked only as far as needed. Candidates are tried from the highest
// version down, and one walk from HEAD, newest commits first, is resumed
// for each until it meets that candidate's commit: on a release branch the
// answer is usually a few commits back. Proving a tag unreachable (a
// maintenance branch, whose higher tags live on main) costs one walk of
// HEAD's whole history, made once however many candidates are rejected.
func LatestReleaseTag[V any](r *Repo, tagFormat string, parse func(string) (V, error), cmp func(a, b V) int) (Release[V], error) {
	var none Release[V]
	if !strings.Contains(tagFormat, "{version}") {
		return none, fmt.Errorf("tag format %q has no {version}", tagFormat)
	}
	head, err := r.headCommit()
	if err != nil {
		return none, err
	}
	refs, err := r.st.IterReferences()
	if err != nil {
		return none, err
	}
	cands := &candHeap[V]{cmp: cmp}
	err = refs.ForEach(func(ref *plumbing.Reference) error {
		name := ref.Name().String()
		if !strings.HasPrefix(name, "refs/tags/") || ref.Type() != plumbing.HashReference {
			return nil
		}
		tag := name[len("refs/tags/"):]
		raw, ok := VersionFromTag(tagFormat, tag)
		if !ok {
			return nil
		}
		v, err := parse(raw)
		if err != nil {
			return nil
		}
		cands.items = append(cands.items, cand[V]{tag: tag, v: v, obj: ref.Hash()})
		return nil
	})
	if err != nil {
		return none, err
	}
	heap.Init(cands)

	w, err := newWalker(r, head)
	if err != nil {
		return none, err
	}
	for cands.Len() > 0 {
		c := heap.Pop(cands).(cand[V])
		commit, _, err := r.peel(c.obj)
		if err != nil {
			// A tag of a tree or blob, or one whose object is missing
			// (a shallow or damaged clone): not a release of this history.
			continue
		}
		ok, err := w.reaches(commit)
		if err != nil {
			return none, err
		}
		if ok {
			return Release[V]{Tag: c.tag, Version: c.v, Commit: commit.String()}, nil
		}
	}
	if w.shallow {
		return none, fmt.Errorf("%w (the clone is shallow: fetch the whole history, e.g. git fetch --unshallow --tags)", ErrNoReleaseTag)
	}
	return none, ErrNoReleaseTag
}

type cand[V any] struct {
	tag string
	v   V
	obj plumbing.Hash
}

// candHeap pops the highest version first.
type candHeap[V any] struct {
	items []cand[V]
	cmp   func(a, b V) int
}

func (h *candHeap[V]) Len() int { return len(h.items) }
func (h *candHeap[V]) Less(i, j int) bool {
	if c := h.cmp(h.items[i].v, h.items[j].v); c != 0 {
		return c > 0
	}
	return h.items[i].tag > h.items[j].tag
}
func (h *candHeap[V]) Swap(i, j int) { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *candHeap[V]) Push(x any)   { h.items = append(h.items, x.(cand[V])) }
func (h *candHeap[V]) Pop() any {
	n := len(h.items) - 1
	x := h.items[n]
	h.items = h.items[:n]
	return x
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
}

func newWalker(r *Repo, head *object.Commit) (*walker, error) {
	w := &walker{r: r, seen: map[plumbing.Hash]struct{}{head.Hash: {}}}
	sh, err := r.st.Shallow()
	if err != nil {
		return nil, err
	}
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
			obj, err := w.r.st.EncodedObject(plumbing.CommitObject, p)
			if errors.Is(err, plumbing.ErrObjectNotFound) && w.shallow {
				continue
			}
			if err != nil {
				return false, fmt.Errorf("walk history: commit %s: %w", p, err)
			}
			pc, err := object.DecodeCommit(w.r.st, obj)
			if err != nil {
				return false, fmt.Errorf("walk history: commit %s: %w", p, err)
			}
			heap.Push(&w.queue, queued{p, pc.Committer.When.Unix(), pc.ParentHashes})
			if p == target {
				return true, nil
			}
		}
	}
	return false, nil
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
	tagger, _, err := r.Ident(true)
	if err != nil {
		return Tag{}, err
	}
	if strings.TrimSpace(message) == "" {
		message = "Tagging " + name
	}
	ref, err := r.repo.CreateTag(name, head.Hash, &git.CreateTagOptions{Tagger: &tagger, Message: message, SignKey: signKey})
	if errors.Is(err, git.ErrTagExists) {
		return Tag{}, fmt.Errorf("%s: %w", name, ErrTagExists)
	}
	if err != nil {
		return Tag{}, fmt.Errorf("create tag %s: %w", name, err)
	}
	return Tag{Name: name, Object: ref.Hash().String(), Commit: head.Hash.String(), Annotated: true}, nil
}
