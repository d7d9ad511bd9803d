// Package channel keeps a distribution's channels: movable tags in the
// image repository (dev, stage, prod) that name one pushed release each,
// Loop's environments and LSST the Docs' editions.
//
// Every move of a channel is recorded in the registry itself, as an OCI 1.1
// artifact that refers to the image the channel moved to (package
// referrers: the referrers API, or its "sha256-<hex>" tag fallback). The
// history of a channel, and whether a version was ever on it (which a
// channel's from: rule asks before a promotion), are read back from those
// records; nothing is kept only on one machine.
//
// Config is the channels: map of dist.yaml; Move, History, WasOn and Status
// work on a repository in a registry.
package channel

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"golang.org/x/mod/semver"

	"github.com/distbuild/dist/internal/pep440"
)

// TrackRelease is the track: value of a channel that follows releases: it
// moves with every image built from a release tag, on any branch.
const TrackRelease = "release"

// Channel is one entry of dist.yaml's channels: map.
type Channel struct {
	// Name is the channel, and its tag in image.repository: "stage".
	Name string
	// Track, when set, makes the channel an edition that dist build moves:
	// a branch name ("main"; "refs/heads/NAME" spells a branch that is
	// itself named "release"), or TrackRelease.
	Track string
	// From, when set, names the channel a version must have been on before
	// dist promote puts it on this one.
	From string
}

// Config is dist.yaml's channels:, in the file's order, which is the order
// Status reports them in.
type Config []Channel

// Error is a channel that cannot be used as configured. Field is the key at
// fault ("" for the name itself, "track" or "from"), so that the caller can
// point at the line of dist.yaml.
type Error struct {
	Channel string
	Field   string
	Msg     string
}

func (e *Error) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("channel %q: %s", e.Channel, e.Msg)
	}
	return fmt.Sprintf("channel %q: %s: %s", e.Channel, e.Field, e.Msg)
}

// tagName is the OCI distribution-spec grammar of a tag.
var tagName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$`)

// fallbackTag is the referrers tag schema's tag, "sha256-<hex>"; a channel
// under such a name would overwrite an image's list of referrers.
var fallbackTag = regexp.MustCompile(`^sha256-`)

// LooksLikeVersion reports whether a tag reads as a version: a PEP 440
// version ("1.0", "2!1.0.post1", "1.0.0.dev0", "v1.0") or a SemVer one with
// or without its "v" ("1.2.3-rc.1", "v2"). A version tag names one release
// for ever; a channel moves, so it must not be mistaken for one.
func LooksLikeVersion(s string) bool {
	if pep440.Valid(s) {
		return true
	}
	v := strings.TrimPrefix(strings.TrimPrefix(s, "v"), "V")
	return semver.IsValid("v" + v)
}

// CheckName refuses a channel name that cannot be a channel: not a valid
// tag, a version, or the referrers fallback tag's shape.
func CheckName(name string) error {
	switch {
	case name == "":
		return &Error{Channel: name, Msg: "a channel needs a name"}
	case !tagName.MatchString(name):
		return &Error{Channel: name, Msg: "not a valid image tag (letters, digits, _ . -; at most 128; not starting with . or -)"}
	case LooksLikeVersion(name):
		return &Error{Channel: name, Msg: "looks like a version: a version tag names one release for ever, while a channel moves; use a name such as stage or prod"}
	case fallbackTag.MatchString(name):
		return &Error{Channel: name, Msg: `names starting with "sha256-" are the tags registries without the referrers API keep an image's referrers under`}
	}
	return nil
}

// Validate checks the channels: every name is a channel name and appears
// once; track: is a branch name or "release"; from: names another channel
// of the config and the from: links form no cycle; and no channel has both
// track: and from:. The first problem found, in the config's order, is
// returned as an *Error.
//
// track: and from: together are refused because they contradict each
// other: a tracked channel is moved by dist build to the image it has just
// pushed, which cannot have been on any other channel yet, so the from:
// rule would refuse every move. A channel moved by hand behind a gate is
// from: alone; one that follows a branch is track: alone.
func (c Config) Validate() error {
	byName := map[string]Channel{}
	for _, ch := range c {
		if err := CheckName(ch.Name); err != nil {
			return err
		}
		if _, dup := byName[ch.Name]; dup {
			return &Error{Channel: ch.Name, Msg: "defined twice"}
		}
		byName[ch.Name] = ch
	}
	for _, ch := range c {
		if ch.Track != "" && ch.From != "" {
			return &Error{Channel: ch.Name, Field: "from", Msg: fmt.Sprintf(
				"a channel with track: is moved by dist build to the image just pushed, which was never on %s; keep track: or from:, not both", ch.From)}
		}
		if ch.Track != "" {
			if _, err := trackedBranch(ch.Track); err != nil {
				return &Error{Channel: ch.Name, Field: "track", Msg: err.Error()}
			}
		}
		if ch.From == "" {
			continue
		}
		if _, ok := byName[ch.From]; !ok {
			return &Error{Channel: ch.Name, Field: "from", Msg: fmt.Sprintf("no channel %q is defined", ch.From)}
		}
		seen := map[string]bool{ch.Name: true}
		path := []string{ch.Name}
		for next := ch.From; next != ""; next = byName[next].From {
			path = append(path, next)
			if seen[next] {
				return &Error{Channel: ch.Name, Field: "from", Msg: "cycle: " + strings.Join(path, " <- ")}
			}
			seen[next] = true
		}
	}
	return nil
}

// trackedBranch reads a track: value: the branch it follows, or "" for
// TrackRelease.
func trackedBranch(track string) (string, error) {
	if track == TrackRelease {
		return "", nil
	}
	branch := strings.TrimPrefix(track, "refs/heads/")
	if strings.HasPrefix(branch, "refs/") {
		return "", fmt.Errorf("%q: a channel tracks a branch (or %q), not another kind of ref", track, TrackRelease)
	}
	if err := plumbing.NewBranchReferenceName(branch).Validate(); err != nil {
		return "", fmt.Errorf("%q is not a valid branch name", track)
	}
	return branch, nil
}

// Get returns the channel called name.
func (c Config) Get(name string) (Channel, bool) {
	for _, ch := range c {
		if ch.Name == name {
			return ch, true
		}
	}
	return Channel{}, false
}

// Tracking returns the channels, in config order, that an image pushed by
// dist build moves: those whose track: is branch (the branch HEAD is on;
// "" when detached), and, when the image was built from a release tag, those
// that track releases. c must have passed Validate.
func (c Config) Tracking(branch string, release bool) []string {
	var out []string
	for _, ch := range c {
		if ch.Track == "" {
			continue
		}
		b, _ := trackedBranch(ch.Track)
		if (ch.Track == TrackRelease && release) || (b != "" && b == branch) {
			out = append(out, ch.Name)
		}
	}
	return out
}
