package manifest

import (
	"errors"
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/distbuild/dist/internal/channel"
	"github.com/distbuild/dist/internal/fileerr"
)

// Channels is dist.yaml's channels: map (DESIGN §1), in the file's order:
// each channel a tag in image.repository, with track: (dist build moves
// it) or from: (dist promote's gate), or neither (moved by promote alone).
// Its Config is what package channel works with.
type Channels struct {
	channel.Config
	// lines holds, for each channel of Config at the same index, the
	// line of its name ("") and of its track: and from: keys.
	lines []map[string]int
}

// UnmarshalYAML reads the map with the line of every name and key, since
// the map's order and lines are lost in a Go map; keys other than track
// and from are refused, as the strict decoder refuses them elsewhere.
func (c *Channels) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: channels: want a map of channel names to {track: BRANCH}, {from: CHANNEL} or {}", n.Line)
	}
	first := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return fmt.Errorf("line %d: channels: a channel's name must be a plain string", k.Line)
		}
		if l, dup := first[k.Value]; dup {
			return fmt.Errorf("line %d: channels: %s is defined twice (first at line %d)", k.Line, k.Value, l)
		}
		first[k.Value] = k.Line
		ch := channel.Channel{Name: k.Value}
		lines := map[string]int{"": k.Line}
		switch {
		case v.Kind == yaml.ScalarNode && v.Tag == "!!null":
		case v.Kind == yaml.MappingNode:
			for j := 0; j+1 < len(v.Content); j += 2 {
				fk, fv := v.Content[j], v.Content[j+1]
				if fv.Kind != yaml.ScalarNode {
					return fmt.Errorf("line %d: channels: %s: %s: want a name", fv.Line, k.Value, fk.Value)
				}
				switch fk.Value {
				case "track":
					ch.Track = fv.Value
				case "from":
					ch.From = fv.Value
				default:
					return fmt.Errorf("line %d: channels: %s: unknown key %q (want track or from)", fk.Line, k.Value, fk.Value)
				}
				lines[fk.Value] = fk.Line
			}
		default:
			return fmt.Errorf("line %d: channels: %s: want {track: BRANCH}, {from: CHANNEL} or {}", v.Line, k.Value)
		}
		c.Config = append(c.Config, ch)
		c.lines = append(c.lines, lines)
	}
	return nil
}

// validate checks the channels as package channel does, and puts its
// error at the line of the name or key at fault. Channels are tags of
// image.repository, so they need one; line is that of channels:.
func (c *Channels) validate(m *Manifest, line int) error {
	if len(c.Config) == 0 {
		return nil
	}
	if m.Image == nil || m.Image.Repository == "" {
		return &fileerr.Error{Path: m.Path, Line: line, Msg: "channels: each channel is a tag in image.repository: set it"}
	}
	err := c.Config.Validate()
	var ce *channel.Error
	if !errors.As(err, &ce) {
		return err
	}
	for i, ch := range c.Config {
		if ch.Name == ce.Channel {
			line = c.lines[i][""]
			if l, ok := c.lines[i][ce.Field]; ok {
				line = l
			}
			break
		}
	}
	return &fileerr.Error{Path: m.Path, Line: line, Msg: "channels: " + ce.Error()}
}
