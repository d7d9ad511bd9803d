package configdiff

import (
	"fmt"
	"strings"

	"github.com/distbuild/dist/internal/fileerr"
)

// The INI dialect is Python's configparser with its defaults, since that is
// what reads the example configs of Kinto, Pyramid and PasteDeploy servers:
//
//   - "key = value" or "key: value", split at the first "=" or ":";
//   - a line indented deeper than its key continues the value (joined with
//     "\n"); blank lines inside a value are dropped;
//   - whole-line comments start with "#" or ";"; there are no inline
//     comments, so "a = 1 ; x" is the value "1 ; x", as configparser reads it;
//   - a section or a key written twice is an error, as with strict=True.
//
// Unlike configparser, keys keep their case (PasteDeploy turns lower-casing
// off, and a diff should show what the file says), and keys before the first
// section are accepted, as many .cfg and .conf files have them.

// iniEntry is one key in file order.
type iniEntry struct {
	Section, Key, Value string
	Line                int
}

const iniSpace = " \t\r\f\v"

func parseINIConfig(path string, data []byte) (Config, error) {
	entries, err := parseINI(path, data)
	if err != nil {
		return nil, err
	}
	c := Config{}
	for _, e := range entries {
		if err := c.set(path, join(e.Section, e.Key), Setting{Value: e.Value, Line: e.Line}); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func parseINI(path string, data []byte) ([]iniEntry, error) {
	var (
		out      []iniEntry
		section  string
		sections = map[string]int{}
		keys     = map[string]int{}
		cur      = -1 // the entry continuation lines extend
		indent   int  // its key's indentation
	)
	bad := func(line int, format string, args ...any) error {
		return &fileerr.Error{Path: path, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	for i, raw := range strings.Split(string(data), "\n") {
		n := i + 1
		t := strings.Trim(raw, iniSpace)
		if t == "" || t[0] == '#' || t[0] == ';' {
			continue
		}
		// Continuation comes first, as in configparser: an indented
		// "[x]" under a key is part of its value, not a section.
		ind := len(raw) - len(strings.TrimLeft(raw, iniSpace))
		if cur >= 0 && ind > indent {
			if out[cur].Value == "" {
				out[cur].Value = t
			} else {
				out[cur].Value += "\n" + t
			}
			continue
		}
		if t[0] == '[' {
			end := strings.LastIndexByte(t, ']')
			if end < 0 {
				return nil, bad(n, "section header %q has no closing ]", t)
			}
			if rest := strings.Trim(t[end+1:], iniSpace); rest != "" && rest[0] != '#' && rest[0] != ';' {
				return nil, bad(n, "unexpected %q after section header", rest)
			}
			name := strings.Trim(t[1:end], iniSpace)
			if name == "" {
				return nil, bad(n, "empty section name")
			}
			if first, dup := sections[name]; dup {
				return nil, bad(n, "duplicate section [%s] (first at line %d)", name, first)
			}
			sections[name] = n
			section, cur = name, -1
			continue
		}
		k := strings.IndexAny(t, "=:")
		if k < 0 {
			return nil, bad(n, "expected key = value or [section], found %q", t)
		}
		key, val := strings.Trim(t[:k], iniSpace), strings.Trim(t[k+1:], iniSpace)
		if key == "" {
			return nil, bad(n, "missing key before %q", t[k:k+1])
		}
		id := section + "\x00" + key
		if first, dup := keys[id]; dup {
			where := "top level"
			if section != "" {
				where = "[" + section + "]"
			}
			return nil, bad(n, "duplicate key %q in %s (first at line %d)", key, where, first)
		}
		keys[id] = n
		out = append(out, iniEntry{Section: section, Key: key, Value: val, Line: n})
		cur, indent = len(out)-1, ind
	}
	return out, nil
}
