package manifest

import (
	"reflect"
	"strings"
	"testing"

	"github.com/distbuild/dist/internal/channel"
)

const channelsHead = "name: x\nimage:\n  repository: registry.example.org/x\n"

// TestChannels: channels: keeps the file's order, whatever the names.
func TestChannels(t *testing.T) {
	m, err := Parse("dist.yaml", []byte(channelsHead+"channels:\n  dev: {track: main}\n  stage: {}\n  prod: {from: stage}\n  edge:\n  docs: {track: release}\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := channel.Config{{Name: "dev", Track: "main"}, {Name: "stage"}, {Name: "prod", From: "stage"}, {Name: "edge"}, {Name: "docs", Track: "release"}}
	if !reflect.DeepEqual(m.Channels.Config, want) {
		t.Errorf("channels: %+v, want %+v", m.Channels.Config, want)
	}
	m, err = Parse("dist.yaml", []byte("name: x\n"))
	if err != nil || len(m.Channels.Config) != 0 {
		t.Errorf("no channels: %+v, %v", m.Channels.Config, err)
	}
}

// TestChannelErrors: every refusal names dist.yaml and the line of the
// name or the key at fault.
func TestChannelErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"channels:\n  stage: {}\n  1.0: {}\n", `dist.yaml:6: channels: channel "1.0": looks like a version`},
		{"channels:\n  v2: {}\n", `dist.yaml:5: channels: channel "v2": looks like a version`},
		{"channels:\n  sha256-abc: {}\n", `dist.yaml:5: channels: channel "sha256-abc"`},
		{"channels:\n  stage: {}\n  prod:\n    from: staging\n", `dist.yaml:7: channels: channel "prod": from: no channel "staging" is defined`},
		{"channels:\n  dev: {track: \"main..x\"}\n", `dist.yaml:5: channels: channel "dev": track:`},
		{"channels:\n  a: {from: b}\n  b: {from: a}\n", `dist.yaml:5: channels: channel "a": from: cycle: a <- b <- a`},
		{"channels:\n  stage: {}\n  dev:\n    track: main\n    from: stage\n", `dist.yaml:8: channels: channel "dev": from: a channel with track:`},
		{"channels:\n  stage: {}\n  stage: {from: x}\n", `dist.yaml:6: channels: stage is defined twice (first at line 5)`},
		{"channels:\n  stage: {tracks: main}\n", `dist.yaml:5: channels: stage: unknown key "tracks"`},
		{"channels:\n  stage: yes\n", `dist.yaml:5: channels: stage: want {track: BRANCH}`},
		{"channels:\n  stage: {from: [a]}\n", `dist.yaml:5: channels: stage: from: want a name`},
		{"channels: [stage]\n", `dist.yaml:4: channels: want a map`},
	} {
		_, err := Parse("dist.yaml", []byte(channelsHead+tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.in, err, tc.want)
		}
	}
	_, err := Parse("dist.yaml", []byte("name: x\nchannels:\n  stage: {}\n"))
	if err == nil || !strings.Contains(err.Error(), "dist.yaml:2: channels: each channel is a tag in image.repository") {
		t.Errorf("channels without image.repository: %v", err)
	}
}
