package configdiff

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/distbuild/dist/internal/fileerr"
	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// parseTOML decodes with go-toml, which knows TOML's rules on redefined
// tables and dotted keys, and takes lines from a second pass over go-toml's
// AST, since a decoded map has no positions.
func parseTOML(path string, data []byte) (Config, error) {
	var doc map[string]any
	if err := toml.Unmarshal(data, &doc); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, _ := de.Position()
			return nil, &fileerr.Error{Path: path, Line: row, Msg: strings.TrimPrefix(de.Error(), "toml: "), Err: err}
		}
		return nil, &fileerr.Error{Path: path, Msg: strings.TrimPrefix(err.Error(), "toml: "), Err: err}
	}
	lines := tomlLines(data)
	c := Config{}
	if err := flattenMap(c, path, "", doc, lines); err != nil {
		return nil, err
	}
	return c, nil
}

// tomlLines maps each dotted key path to the line that defines it: a table
// header for a table, the key of a key/value otherwise.
func tomlLines(data []byte) map[string]int {
	lines := map[string]int{}
	var p unstable.Parser
	p.Reset(data)
	var table []string
	record := func(parts []string, line int) {
		k := strings.Join(parts, ".")
		if _, ok := lines[k]; !ok {
			lines[k] = line
		}
	}
	var inline func(prefix []string, n *unstable.Node)
	inline = func(prefix []string, n *unstable.Node) {
		it := n.Children()
		for it.Next() {
			kv := it.Node()
			if kv.Kind != unstable.KeyValue {
				continue
			}
			parts, line := tomlKey(&p, kv.Key())
			full := append(append([]string(nil), prefix...), parts...)
			record(full, line)
			if v := kv.Value(); v.Kind == unstable.InlineTable {
				inline(full, v)
			}
		}
	}
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			parts, line := tomlKey(&p, e.Key())
			table = parts
			record(table, line)
		case unstable.KeyValue:
			parts, line := tomlKey(&p, e.Key())
			full := append(append([]string(nil), table...), parts...)
			record(full, line)
			if v := e.Value(); v.Kind == unstable.InlineTable {
				inline(full, v)
			}
		}
	}
	return lines
}

func tomlKey(p *unstable.Parser, it unstable.Iterator) ([]string, int) {
	var parts []string
	line := 0
	for it.Next() {
		k := it.Node()
		parts = append(parts, string(k.Data))
		if line == 0 && k.Raw.Length > 0 {
			line = p.Shape(k.Raw).Start.Line
		}
	}
	return parts, line
}

// lineOf finds a key's line, falling back to the nearest enclosing key: a
// key inside an array of tables has no setting of its own.
func lineOf(lines map[string]int, key string) int {
	for {
		if l, ok := lines[key]; ok {
			return l
		}
		i := strings.LastIndexByte(key, '.')
		if i < 0 {
			return 0
		}
		key = key[:i]
	}
}

func flattenMap(c Config, path, prefix string, m map[string]any, lines map[string]int) error {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		key := join(prefix, name)
		var s string
		switch v := m[name].(type) {
		case map[string]any:
			if len(v) > 0 {
				if err := flattenMap(c, path, key, v, lines); err != nil {
					return err
				}
				continue
			}
			s = "{}"
		case []any:
			b, err := json.Marshal(tomlJSON(v))
			if err != nil {
				return fileerr.Wrap(path, lineOf(lines, key), fmt.Errorf("%s: %w", key, err))
			}
			s = string(b)
		default:
			s = tomlScalar(v)
		}
		// Two spellings can flatten to one key ("a.b" quoted and a.b
		// dotted); set reports that.
		if err := c.set(path, key, Setting{Value: s, Line: lineOf(lines, key)}); err != nil {
			return err
		}
	}
	return nil
}

func tomlScalar(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	case time.Time:
		return v.Format(time.RFC3339Nano)
	}
	return fmt.Sprint(v) // local dates and times print in TOML's syntax
}

// tomlJSON turns a decoded array into values encoding/json prints the way
// TOML wrote them: numbers stay numbers, dates become strings.
func tomlJSON(v any) any {
	switch v := v.(type) {
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = tomlJSON(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = tomlJSON(e)
		}
		return out
	case string, bool, int64:
		return v
	case float64:
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return tomlScalar(v)
		}
		return v
	}
	return tomlScalar(v)
}
