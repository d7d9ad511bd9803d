package channel

import (
	"context"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/distbuild/dist/internal/version"
)

// State is where one channel stands.
type State struct {
	Channel string `json:"channel"`
	// Key is the channel's stable key (see Key).
	Key   string `json:"key"`
	Track string `json:"track,omitempty"`
	From  string `json:"from,omitempty"`
	// Version is the release the channel names: from its move record, else
	// from a version tag naming the same digest; "" when neither says.
	Version string `json:"version,omitempty"`
	// Digest is "sha256:<hex>" the channel tag names; "" when the tag does
	// not exist yet.
	Digest string `json:"digest,omitempty"`
	// Moved (in JSON "time", as a record's) and By come from the record
	// of the move that put the channel at Digest; nil and "" when there is
	// none (Recorded false).
	Moved *time.Time `json:"time,omitempty"`
	By    string     `json:"by,omitempty"`
	// Recorded is false when no completed record names Digest: the tag was
	// set outside dist (by hand, or by a dist that recorded nothing).
	Recorded bool `json:"recorded"`
	// Behind counts the release versions above this channel's, up to and
	// including the version of its from: channel: how many releases a
	// promotion would bring. Pre-releases do not count, except the from:
	// channel's own version. 0 when not behind; nil without from:, or
	// when either version is unknown.
	Behind *int `json:"behind,omitempty"`
	// Interrupted is the channel's newest record when its move never
	// reached the tag: running that move again completes it.
	Interrupted *Record `json:"interrupted,omitempty"`
	// History is every recorded move, newest first.
	History []Record `json:"history"`
}

// Status reports the channels of cfg named in names (all of them when
// empty), in cfg's order. It reads what Scan reads (manifests and
// referrers lists, no image blob); cfg must have passed Validate. A name
// not in cfg is an *Error.
func Status(ctx context.Context, repo name.Repository, cfg Config, names []string, o Options) ([]State, error) {
	asked := map[string]bool{}
	for _, n := range names {
		if _, ok := cfg.Get(n); !ok {
			return nil, &Error{Channel: n, Msg: "not one of the channels in dist.yaml"}
		}
		asked[n] = true
	}
	all := make([]string, 0, len(cfg))
	for _, ch := range cfg {
		all = append(all, ch.Name)
	}
	s, err := Scan(ctx, repo, all, o)
	if err != nil {
		return nil, err
	}
	byName := map[string]*State{}
	var out []*State
	for _, ch := range cfg {
		st := s.state(repo, ch)
		byName[ch.Name] = st
		out = append(out, st)
	}
	var res []State
	for _, st := range out {
		if st.From != "" {
			st.Behind = s.behind(st.Version, byName[st.From].Version)
		}
		if len(asked) == 0 || asked[st.Channel] {
			res = append(res, *st)
		}
	}
	return res, nil
}

func (s *Snapshot) state(repo name.Repository, ch Channel) *State {
	st := &State{
		Channel: ch.Name, Key: Key(repo, ch.Name), Track: ch.Track, From: ch.From,
		Digest: s.Tags[ch.Name], History: s.Records[ch.Name],
	}
	if st.History == nil {
		st.History = []Record{}
	}
	if len(st.History) > 0 && !st.History[0].Completed {
		r := st.History[0]
		st.Interrupted = &r
	}
	if st.Digest == "" {
		return st
	}
	for _, r := range st.History {
		if r.Completed && r.Digest == st.Digest {
			t := r.Time
			st.Version, st.Moved, st.By, st.Recorded = r.Version, &t, r.By, true
			return st
		}
	}
	// Moved outside dist: a version tag on the same image says which
	// release it is; the highest, should two name it.
	for i := len(s.Versions) - 1; i >= 0; i-- {
		if s.Tags[s.Versions[i].Raw] == st.Digest {
			st.Version = s.Versions[i].Raw
			break
		}
	}
	return st
}

// behind counts the release versions in (own, from], from's own version
// counted even when it is a pre-release; nil when either is unknown.
func (s *Snapshot) behind(own, from string) *int {
	ov, err1 := version.Parse("pypi", own)
	fv, err2 := version.Parse("pypi", from)
	if own == "" || from == "" || err1 != nil || err2 != nil {
		return nil
	}
	n := 0
	var last *version.V
	for i, v := range s.Versions {
		if version.Compare(v, ov) <= 0 || version.Compare(v, fv) > 0 {
			continue
		}
		if v.Pre && version.Compare(v, fv) != 0 {
			continue
		}
		if last != nil && version.Compare(*last, v) == 0 {
			continue // "1.0" and "1.0.0", or "v1.0.0": one release
		}
		last = &s.Versions[i]
		n++
	}
	return &n
}
