package channel

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/distbuild/dist/internal/referrers"
	"github.com/distbuild/dist/internal/regclient"
)

// ArtifactType is the artifactType of a move record, the referrer of the
// image a channel moved to.
const ArtifactType = "application/vnd.distbuild.dist.channel-move.v1+json"

// FileName is the record layer's org.opencontainers.image.title.
const FileName = "channel-move.json"

// Annotations of a record's manifest. The referrers list repeats a
// manifest's annotations, so History reads every record from the list
// alone, without fetching its layer; the layer is the record as a file,
// for other tools (oras pull).
const (
	AnnotationChannel  = "vnd.distbuild.dist.channel"
	AnnotationVersion  = "vnd.distbuild.dist.version"
	AnnotationPrevious = "vnd.distbuild.dist.previous-digest"
	AnnotationBy       = "vnd.distbuild.dist.by"
	// AnnotationCreated is image-spec's, the time of the move.
	AnnotationCreated = "org.opencontainers.image.created"
)

// Record is one move of a channel.
type Record struct {
	Channel string `json:"channel"`
	Version string `json:"version"`
	// Digest is "sha256:<hex>" of the image (manifest or index) the
	// channel moved to: the record's subject.
	Digest string `json:"digest"`
	// PreviousDigest is what the channel named before; "" for its first
	// move, and then left out of the JSON. (The payload, the record's
	// stored form, always holds it.)
	PreviousDigest string `json:"previous_digest,omitempty"`
	// Time is when the move was made, in UTC.
	Time time.Time `json:"time"`
	// By is who moved it: a git identity "Name <email>", or CI's.
	By string `json:"by"`

	// Record is the digest of the record's own manifest; not in the
	// payload.
	Record string `json:"record,omitempty"`
	// Completed is false for a record whose move never reached the tag
	// (dist stopped between recording and tagging): the channel did not
	// name Digest after it, and no later move left Digest. Not in the
	// payload.
	Completed bool `json:"completed"`
}

// payload is the record as the artifact's layer holds it.
type payload struct {
	Channel        string `json:"channel"`
	Version        string `json:"version"`
	Digest         string `json:"digest"`
	PreviousDigest string `json:"previous_digest"`
	Time           string `json:"time"`
	By             string `json:"by"`
}

// artifact is the referrer that records r.
func (r Record) artifact() (referrers.Artifact, error) {
	ts := r.Time.UTC().Format(time.RFC3339Nano)
	data, err := json.Marshal(payload{
		Channel: r.Channel, Version: r.Version, Digest: r.Digest,
		PreviousDigest: r.PreviousDigest, Time: ts, By: r.By,
	})
	if err != nil {
		return referrers.Artifact{}, err
	}
	ann := map[string]string{
		AnnotationChannel: r.Channel,
		AnnotationVersion: r.Version,
		AnnotationBy:      r.By,
		AnnotationCreated: ts,
	}
	if r.PreviousDigest != "" {
		ann[AnnotationPrevious] = r.PreviousDigest
	}
	return referrers.Artifact{
		ArtifactType: ArtifactType,
		MediaType:    "application/json",
		Data:         append(data, '\n'),
		FileName:     FileName,
		Annotations:  ann,
	}, nil
}

// fromAnnotations reads a record from its referrer descriptor; ok is false
// when the annotations do not hold one (another tool wrote it, or the
// registry drops annotations from its list), and the layer must be read.
func fromAnnotations(subject string, ref referrers.Referrer) (Record, bool) {
	a := ref.Annotations
	t, err := time.Parse(time.RFC3339Nano, a[AnnotationCreated])
	if a[AnnotationChannel] == "" || err != nil {
		return Record{}, false
	}
	return Record{
		Channel: a[AnnotationChannel], Version: a[AnnotationVersion],
		Digest: subject, PreviousDigest: a[AnnotationPrevious],
		Time: t.UTC(), By: a[AnnotationBy], Record: ref.Digest,
	}, true
}

// fromPayload reads a record from the artifact's layer. The subject, not
// the payload, says which image the record belongs to.
func fromPayload(subject string, ref referrers.Referrer, data []byte) (Record, error) {
	var p payload
	if err := json.Unmarshal(data, &p); err != nil {
		return Record{}, fmt.Errorf("channel move record %s: %w", ref.Digest, err)
	}
	t, err := time.Parse(time.RFC3339Nano, p.Time)
	if err != nil || p.Channel == "" {
		return Record{}, fmt.Errorf("channel move record %s: want a channel and an RFC 3339 time", ref.Digest)
	}
	return Record{
		Channel: p.Channel, Version: p.Version, Digest: subject,
		PreviousDigest: p.PreviousDigest, Time: t.UTC(), By: p.By, Record: ref.Digest,
	}, nil
}

// Key is a channel's stable key: 32 hex digits that depend on the
// repository (as regclient.Canonical spells it, registry host in lower
// case) and the channel's name only, so it stays the same when the
// channel moves, while the tag's digest changes.
//
// It is LSST the Docs' surrogate key: something that serves or caches what
// a channel holds (a CDN in front of documentation built from it, a
// deployment tool watching it) labels its cache entries with the key, and
// purges or refreshes everything under that key when dist status shows the
// channel's digest changed, without having to know which digests it held.
// dist has no CDN client; the key is for the tool that does.
func Key(repo name.Repository, channel string) string {
	canon := regclient.Canonical(repo)
	host, path, _ := strings.Cut(canon, "/")
	sum := sha256.Sum256([]byte("dist channel\x00" + strings.ToLower(host) + "/" + path + "\x00" + channel))
	return hex.EncodeToString(sum[:16])
}
