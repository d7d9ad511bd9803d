package configdiff

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/distbuild/dist/internal/fileerr"
)

// maxDepth bounds alias and merge-key resolution: yaml.v3 refuses an anchor
// that contains itself, but a chain of merges can still be made long enough
// to matter.
const maxDepth = 100

// MaxNodes bounds the nodes a YAML config may expand to once its aliases
// are followed: an alias repeats what its anchor holds, so a few hundred
// bytes of anchors of aliases ("billion laughs") can stand for billions of
// values. A generous bound for any real config; tests lower it.
var MaxNodes = 1_000_000

// budget counts the nodes one file's aliases expand to.
type budget struct {
	path string
	left int
}

func (b *budget) spend(line int) error {
	b.left--
	if b.left < 0 {
		return &fileerr.Error{Path: b.path, Line: line, Msg: fmt.Sprintf("the aliases expand to more than %d values; refusing to expand it further (an alias bomb?)", MaxNodes)}
	}
	return nil
}

func parseYAML(path string, data []byte) (Config, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*yaml.Node
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fileerr.FromYAML(path, err.Error())
		}
		docs = append(docs, &doc)
	}
	c := Config{}
	b := &budget{path: path, left: MaxNodes}
	for i, doc := range docs {
		// A stream of several documents keeps them apart by index; the
		// usual single document gets no prefix.
		prefix := ""
		if len(docs) > 1 {
			prefix = strconv.Itoa(i)
		}
		root := doc
		if root.Kind == yaml.DocumentNode {
			if len(root.Content) == 0 {
				continue
			}
			root = root.Content[0]
		}
		root = deref(root)
		if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
			continue
		}
		if root.Kind != yaml.MappingNode {
			return nil, &fileerr.Error{Path: path, Line: root.Line, Msg: "the top level is not a mapping"}
		}
		if err := flattenYAML(c, b, prefix, root, 0); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < maxDepth; i++ {
		n = n.Alias
	}
	return n
}

type yamlPair struct{ key, value *yaml.Node }

// pairs returns a mapping's entries with merge keys ("<<: *base") resolved:
// merged entries come after the explicit ones and never replace them, and an
// earlier merge source wins over a later one, as the merge-key spec says.
func pairs(b *budget, m *yaml.Node, depth int) ([]yamlPair, error) {
	path := b.path
	if depth > maxDepth {
		return nil, &fileerr.Error{Path: path, Line: m.Line, Msg: "merge keys nested too deeply"}
	}
	var out, merges []yamlPair
	seen := map[string]int{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := deref(m.Content[i]), m.Content[i+1]
		if err := b.spend(k.Line); err != nil {
			return nil, err
		}
		if k.Kind != yaml.ScalarNode {
			return nil, &fileerr.Error{Path: path, Line: k.Line, Msg: "only scalar mapping keys can be compared"}
		}
		if k.Tag == "!!merge" {
			merges = append(merges, yamlPair{k, v})
			continue
		}
		if first, dup := seen[k.Value]; dup {
			return nil, &fileerr.Error{Path: path, Line: k.Line, Msg: fmt.Sprintf("duplicate key %q (first at line %d)", k.Value, first)}
		}
		seen[k.Value] = k.Line
		out = append(out, yamlPair{k, v})
	}
	for _, mp := range merges {
		v := deref(mp.value)
		var sources []*yaml.Node
		switch v.Kind {
		case yaml.MappingNode:
			sources = []*yaml.Node{v}
		case yaml.SequenceNode:
			for _, s := range v.Content {
				sources = append(sources, deref(s))
			}
		}
		for _, s := range sources {
			if s.Kind != yaml.MappingNode {
				return nil, &fileerr.Error{Path: path, Line: mp.key.Line, Msg: "a merge key (<<) must refer to a mapping"}
			}
			inner, err := pairs(b, s, depth+1)
			if err != nil {
				return nil, err
			}
			for _, p := range inner {
				if _, dup := seen[p.key.Value]; !dup {
					seen[p.key.Value] = p.key.Line
					out = append(out, p)
				}
			}
		}
	}
	return out, nil
}

func flattenYAML(c Config, b *budget, prefix string, m *yaml.Node, depth int) error {
	path := b.path
	ps, err := pairs(b, m, depth)
	if err != nil {
		return err
	}
	for _, p := range ps {
		key := join(prefix, p.key.Value)
		v := deref(p.value)
		line := p.key.Line
		switch {
		case v.Kind == yaml.MappingNode && len(v.Content) > 0:
			if depth >= maxDepth {
				return &fileerr.Error{Path: path, Line: line, Msg: "mappings nested too deeply"}
			}
			if err := flattenYAML(c, b, key, v, depth+1); err != nil {
				return err
			}
			continue
		case v.Kind == yaml.MappingNode:
			err = c.set(path, key, Setting{Value: "{}", Line: line})
		case v.Kind == yaml.SequenceNode:
			var j any
			if j, err = yamlJSON(b, v, 0); err != nil {
				return err
			}
			var out []byte
			out, err = json.Marshal(j)
			if err == nil {
				err = c.set(path, key, Setting{Value: string(out), Line: line})
			}
		default:
			err = c.set(path, key, Setting{Value: yamlScalar(v), Line: line})
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// yamlScalar is a scalar as written, without quotes; the spellings of null
// (~, null, nothing) all read "null" so that they never differ.
func yamlScalar(n *yaml.Node) string {
	if n.Tag == "!!null" {
		return "null"
	}
	return n.Value
}

// yamlJSON turns a list into something encoding/json can print, for the
// one-value form lists take.
func yamlJSON(b *budget, n *yaml.Node, depth int) (any, error) {
	n = deref(n)
	if depth > maxDepth {
		return nil, nil
	}
	if err := b.spend(n.Line); err != nil {
		return nil, err
	}
	switch n.Kind {
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := yamlJSON(b, c, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		out := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, err := yamlJSON(b, n.Content[i+1], depth+1)
			if err != nil {
				return nil, err
			}
			out[deref(n.Content[i]).Value] = v
		}
		return out, nil
	}
	switch n.Tag {
	case "!!null":
		return nil, nil
	case "!!bool", "!!int", "!!float":
		// Numbers and booleans print bare when JSON can spell them as
		// YAML did (0x1F or .inf cannot), so [1, "1"] stay apart.
		if json.Valid([]byte(n.Value)) {
			return json.RawMessage(n.Value), nil
		}
	}
	return n.Value, nil
}
