package channel

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"golang.org/x/sync/errgroup"

	"github.com/distbuild/dist/internal/referrers"
	"github.com/distbuild/dist/internal/version"
)

// Options configures the registry operations.
type Options struct {
	// Remote carries credentials and the transport to every request
	// (remote.WithAuthFromKeychain, remote.WithTransport); the context
	// given to each operation is added.
	Remote []remote.Option
	// Jobs bounds the requests History, WasOn and Status make at once; 4
	// when 0.
	Jobs int
	// DryRun makes Move say what it would do and write nothing.
	DryRun bool
}

func (o Options) remote(ctx context.Context) []remote.Option {
	return append(append([]remote.Option(nil), o.Remote...), remote.WithContext(ctx))
}

func (o Options) jobs() int {
	if o.Jobs <= 0 {
		return 4
	}
	return o.Jobs
}

// MoveResult is what Move did.
type MoveResult struct {
	// Reference is the channel's tag, REPO:CHANNEL.
	Reference string `json:"reference"`
	Channel   string `json:"channel"`
	Version   string `json:"version"`
	// Digest is "sha256:<hex>" of the image the channel names now.
	Digest string `json:"digest"`
	// PreviousDigest is what it named before; "" for a new channel.
	PreviousDigest string `json:"previous_digest,omitempty"`
	// Changed is false when the channel already named Digest: then
	// nothing was written, not even a record.
	Changed bool `json:"changed"`
	// Record is the digest of the move record, "" when none was written.
	Record string `json:"record,omitempty"`
	// Resumed is set when the record is that of an earlier attempt at
	// this same move that stopped before moving the tag: it was kept,
	// with its time, and the tag moved.
	Resumed bool      `json:"resumed,omitempty"`
	Time    time.Time `json:"time"`
	By      string    `json:"by"`
	Key     string    `json:"key"`
	DryRun  bool      `json:"dry_run,omitempty"`
}

// Move points repo:channel at the image digest ("sha256:<hex>", a manifest
// or an index already in repo) and records the move: version is the
// release the image is, who moved it ("Name <email>", or CI's identity),
// when is the time of the move. Only manifests travel: the image's own
// manifest bytes go under the channel tag, so the tag names the very same
// digest, and no blob is uploaded but the record's two small ones.
//
// The record is written first, then the tag moved. A run stopped between
// the two leaves a record whose move never happened; History marks it not
// Completed (the tag never named its digest, and no later move left it),
// WasOn does not count it, and running the same move again finds it and
// completes it (Resumed) instead of writing a second one. The other order
// would leave, after a stop, a channel moved with no record: a gap in the
// history that nothing could notice, and a version on the channel that its
// from: rule would not know about.
//
// A channel that already names digest is left alone and nothing is
// recorded. Errors: an invalid channel name (*Error); digest not in repo;
// the registry's refusal.
func Move(ctx context.Context, repo name.Repository, channel, version, digest, who string, when time.Time, o Options) (*MoveResult, error) {
	if err := CheckName(channel); err != nil {
		return nil, err
	}
	if version == "" {
		return nil, errors.New("moving a channel needs the version of the image it moves to")
	}
	h, err := v1.NewHash(digest)
	if err != nil {
		return nil, fmt.Errorf("digest %q: %w", digest, err)
	}
	ropts := o.remote(ctx)
	subject := repo.Digest(h.String())
	img, err := remote.Get(subject, ropts...)
	if isNotFound(err) {
		return nil, fmt.Errorf("%s: not in the repository: push the image first", subject)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", subject, err)
	}
	tag := repo.Tag(channel)
	res := &MoveResult{
		Reference: repo.Tag(channel).String(), Channel: channel, Version: version,
		Digest: h.String(), Time: when.UTC(), By: who, Key: Key(repo, channel), DryRun: o.DryRun,
	}
	prev, err := remote.Head(tag, ropts...)
	switch {
	case isNotFound(err):
	case err != nil:
		return nil, fmt.Errorf("%s: %w", tag, err)
	default:
		res.PreviousDigest = prev.Digest.String()
	}
	res.Changed = res.PreviousDigest != res.Digest
	if !res.Changed || o.DryRun {
		return res, nil
	}
	rec, resumed, err := record(ctx, repo, subject, Record{
		Channel: channel, Version: version, Digest: res.Digest,
		PreviousDigest: res.PreviousDigest, Time: res.Time, By: who,
	}, o)
	if err != nil {
		return nil, err
	}
	res.Record, res.Resumed, res.Time, res.By = rec.Record, resumed, rec.Time, rec.By
	if err := remote.Tag(tag, img, ropts...); err != nil {
		return nil, fmt.Errorf("tagging %s: %w", tag, err)
	}
	return res, nil
}

// record writes the record of a move to subject, or finds the one an
// interrupted attempt at the same move left: the newest record of the
// channel on subject, for the same version and from the same previous
// digest, after which the channel did not come back to that previous
// digest (a later record on it). Finding it reads two referrer lists.
func record(ctx context.Context, repo name.Repository, subject name.Digest, r Record, o Options) (Record, bool, error) {
	on, err := recordsOn(ctx, repo, subject, o)
	if err != nil {
		return Record{}, false, err
	}
	var last *Record
	for i, x := range on {
		if x.Channel == r.Channel && x.Version == r.Version && x.PreviousDigest == r.PreviousDigest &&
			(last == nil || x.Time.After(last.Time)) {
			last = &on[i]
		}
	}
	if last != nil {
		back := false
		if r.PreviousDigest != "" {
			prev, err := recordsOn(ctx, repo, repo.Digest(r.PreviousDigest), o)
			if err != nil {
				return Record{}, false, err
			}
			for _, x := range prev {
				back = back || x.Channel == r.Channel && x.Time.After(last.Time)
			}
		}
		if !back {
			return *last, true, nil
		}
	}
	a, err := r.artifact()
	if err != nil {
		return Record{}, false, err
	}
	ref, err := referrers.Push(subject, a, o.remote(ctx)...)
	if err != nil {
		return Record{}, false, err
	}
	r.Record = ref.Digest
	return r, false, nil
}

// recordsOn returns the move records attached to subject, of every
// channel, in no order: one referrers list (two requests on a registry
// without the referrers API), and a layer for a record whose annotations
// do not say enough.
func recordsOn(ctx context.Context, repo name.Repository, subject name.Digest, o Options) ([]Record, error) {
	ropts := o.remote(ctx)
	refs, err := referrers.List(subject, ropts...)
	if err != nil {
		return nil, err
	}
	var out []Record
	for _, ref := range refs {
		if ref.ArtifactType != ArtifactType {
			continue
		}
		if r, ok := fromAnnotations(subject.DigestStr(), ref); ok {
			out = append(out, r)
			continue
		}
		data, err := referrers.Fetch(repo, ref, ropts...)
		if err != nil {
			return nil, err
		}
		r, err := fromPayload(subject.DigestStr(), ref, data)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// History returns every recorded move of channel in repo, newest first;
// see Scan for how they are found and what that costs.
func History(ctx context.Context, repo name.Repository, channel string, o Options) ([]Record, error) {
	s, err := Scan(ctx, repo, []string{channel}, o)
	if err != nil {
		return nil, err
	}
	return s.Records[channel], nil
}

// WasOn reports whether channel in repo ever named the image digest: the
// channel names it now, or a completed move record says it did. It answers
// a from: rule. A move made by hand outside dist is not seen once the
// channel has left it.
//
// Cost: a HEAD of the channel tag and the referrers of digest; only when
// digest has a record of the channel but the channel names something else
// now does it need the whole history (Scan) to tell a completed move from
// an interrupted one.
func WasOn(ctx context.Context, repo name.Repository, channel, digest string, o Options) (bool, error) {
	h, err := v1.NewHash(digest)
	if err != nil {
		return false, fmt.Errorf("digest %q: %w", digest, err)
	}
	tag := repo.Tag(channel)
	d, err := remote.Head(tag, o.remote(ctx)...)
	switch {
	case isNotFound(err):
	case err != nil:
		return false, fmt.Errorf("%s: %w", tag, err)
	case d.Digest == h:
		return true, nil
	}
	on, err := recordsOn(ctx, repo, repo.Digest(h.String()), o)
	if err != nil {
		return false, err
	}
	found := false
	for _, r := range on {
		found = found || r.Channel == channel
	}
	if !found {
		return false, nil
	}
	hist, err := History(ctx, repo, channel, o)
	if err != nil {
		return false, err
	}
	for _, r := range hist {
		if r.Digest == h.String() && r.Completed {
			return true, nil
		}
	}
	return false, nil
}

// Snapshot is what Scan read from a repository.
type Snapshot struct {
	// Tags maps the channel tags asked for and every version tag to the
	// digest it names; a channel tag that does not exist is absent.
	Tags map[string]string
	// Versions are the version tags, parsed as PEP 440, lowest first;
	// tags that are not PEP 440 versions are left out.
	Versions []version.V
	// Records holds every channel's move records, newest first, with
	// Completed set for the channels asked for.
	Records map[string][]Record
}

// fallbackTagRE is the referrers tag schema's tag for a sha256 subject.
var fallbackTagRE = regexp.MustCompile(`^sha256-([0-9a-f]{64})$`)

// Scan reads the move records of a repository. Records hang off image
// digests, so it must find the digests first: it lists the tags, HEADs
// every tag that reads as a version (LooksLikeVersion) and the channel
// tags asked for, takes the digest out of every "sha256-<hex>" referrers
// fallback tag, and lists the referrers of each distinct digest. Record
// contents come from the referrers lists' annotations; a record's layer is
// read only when they lack it.
//
// Cost, for V version tags and D distinct digests: one tag list, V+C HEADs,
// D referrers lists (2 GETs each on a registry without the referrers API),
// all manifests, at most Jobs at once; no image blob is read. On
// distribution 2.8 it sees every record, since each one's subject has a
// fallback tag. On a registry with the referrers API it sees the records
// of images a version or channel tag names now: the history of an image
// no tag names any more (an overwritten dev build) is not found there.
func Scan(ctx context.Context, repo name.Repository, channels []string, o Options) (*Snapshot, error) {
	tags, err := remote.List(repo, o.remote(ctx)...)
	if err != nil && !isNotFound(err) {
		return nil, fmt.Errorf("listing the tags of %s: %w", repo, err)
	}
	want := map[string]bool{}
	for _, c := range channels {
		want[c] = true
	}
	s := &Snapshot{Tags: map[string]string{}, Records: map[string][]Record{}}
	var toHead []string
	subjects := map[string]bool{}
	for _, t := range tags {
		if m := fallbackTagRE.FindStringSubmatch(t); m != nil {
			subjects["sha256:"+m[1]] = true
			continue
		}
		if want[t] || LooksLikeVersion(t) {
			toHead = append(toHead, t)
		}
		if v, err := version.Parse("pypi", t); err == nil && !want[t] {
			s.Versions = append(s.Versions, v)
		}
	}
	sort.SliceStable(s.Versions, func(i, j int) bool { return version.Compare(s.Versions[i], s.Versions[j]) < 0 })

	var mu sync.Mutex
	err = parallel(ctx, o.jobs(), len(toHead), func(ctx context.Context, i int) error {
		tag := repo.Tag(toHead[i])
		d, err := remote.Head(tag, o.remote(ctx)...)
		if isNotFound(err) {
			return nil // deleted since the list
		}
		if err != nil {
			return fmt.Errorf("%s: %w", tag, err)
		}
		mu.Lock()
		defer mu.Unlock()
		s.Tags[toHead[i]] = d.Digest.String()
		subjects[d.Digest.String()] = true
		return nil
	})
	if err != nil {
		return nil, err
	}

	digests := make([]string, 0, len(subjects))
	for d := range subjects {
		digests = append(digests, d)
	}
	sort.Strings(digests)
	seen := map[string]bool{}
	err = parallel(ctx, o.jobs(), len(digests), func(ctx context.Context, i int) error {
		recs, err := recordsOn(ctx, repo, repo.Digest(digests[i]), o)
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		for _, r := range recs {
			if !seen[r.Record] {
				seen[r.Record] = true
				s.Records[r.Channel] = append(s.Records[r.Channel], r)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for c, recs := range s.Records {
		sortNewestFirst(recs)
		if want[c] {
			markCompleted(recs, s.Tags[c])
		}
	}
	return s, nil
}

// sortNewestFirst orders one channel's records by time, newest first. Two
// records of the same instant are put in the order their digests chain
// (the later one's previous digest is the earlier one's digest), then by
// record digest, so that the order never depends on the registry's.
func sortNewestFirst(recs []Record) {
	sort.SliceStable(recs, func(i, j int) bool {
		a, b := recs[i], recs[j]
		if !a.Time.Equal(b.Time) {
			return a.Time.After(b.Time)
		}
		if a.PreviousDigest == b.Digest && b.PreviousDigest != a.Digest {
			return true
		}
		if b.PreviousDigest == a.Digest && a.PreviousDigest != b.Digest {
			return false
		}
		return a.Record < b.Record
	})
}

// markCompleted decides which records' moves happened, for one channel's
// records newest first and the digest the channel names now ("" for
// none). Each move reads the tag before it records anything, so the
// channel's digest right after a record is known: the next move's previous
// digest, or the tag now for the newest. A move after which the channel
// still named the digest it started from never reached the tag. That
// reading cannot tell an interrupted move from one completed and then
// undone by hand (the tag moved back outside dist); it takes the first,
// which WasOn then does not count.
func markCompleted(recs []Record, current string) {
	next := current
	for i := range recs {
		recs[i].Completed = next != recs[i].PreviousDigest
		next = recs[i].PreviousDigest
	}
}

// parallel runs fn for 0..n-1, at most jobs at once, and returns the first
// error; the others are then cancelled.
func parallel(ctx context.Context, jobs, n int, fn func(context.Context, int) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(jobs)
	for i := 0; i < n; i++ {
		g.Go(func() error { return fn(gctx, i) })
	}
	return g.Wait()
}

// isNotFound tells a registry's "no such manifest, repository or tag".
func isNotFound(err error) bool {
	var te *transport.Error
	if !errors.As(err, &te) {
		return false
	}
	for _, d := range te.Errors {
		switch d.Code {
		case transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode:
			return true
		}
	}
	return te.StatusCode == http.StatusNotFound
}
