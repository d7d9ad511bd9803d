// Package configdiff reads a configuration file into a flat map of settings
// and compares two such maps, so that a release can say which settings a
// distribution added, removed or gave a new default.
//
// Every format flattens to the same shape, dotted keys to string values, so
// the SemVer policy needs one rule set for INI, env, YAML, TOML and JSON:
//
//   - INI: "section.key"; keys before the first section have no prefix.
//   - env: the variable name.
//   - YAML, TOML, JSON: the path of mapping keys joined with ".".
//
// Lists are one setting whose value is the list as compact JSON: appending a
// plugin to a list changes that setting's default, it does not add a key. An
// empty mapping is a setting with the value "{}", so that adding an empty
// section is still seen.
//
// Diff cannot tell a renamed key from one removed and another added: without
// a mapping from old to new names there is nothing to pair them by, and both
// halves already require a major release under the policy, so a rename shows
// as key-removed plus key-added.
package configdiff

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/distbuild/dist/internal/fileerr"
)

// Format is a configuration file syntax: dist.yaml's configs[].format.
type Format string

// Formats ParseFormat understands, and None.
const (
	INI  Format = "ini"
	Env  Format = "env"
	YAML Format = "yaml"
	TOML Format = "toml"
	JSON Format = "json"
	// None is a config dist renders and does not read: a nats.conf, a
	// haproxy.cfg, an nginx.conf, each a syntax of its own. It has no
	// settings, so no key diff; a release sees only whether its bytes
	// changed.
	None Format = "none"
)

// Formats are the values configs[].format accepts, in the order
// messages list them.
var Formats = []Format{INI, Env, YAML, TOML, JSON, None}

// ErrUnsupported is wrapped by ParseFormat for a format it does not know.
var ErrUnsupported = errors.New("no known config format")

// FormatNamed returns the format configs[].format names, or an error
// that lists the ones there are.
func FormatNamed(name string) (Format, error) {
	for _, f := range Formats {
		if string(f) == name {
			return f, nil
		}
	}
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return "", fmt.Errorf("unknown format %q (want %s or %s)", name, strings.Join(names[:len(names)-1], ", "), names[len(names)-1])
}

// FormatOf picks the format from the file's extension: .ini, .env,
// .yaml/.yml, .toml and .json name theirs; anything else is None. .conf
// and .cfg are None too: nats.conf, haproxy.cfg and nginx.conf are not
// INI files, and an INI one says so with format: ini.
func FormatOf(path string) Format {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".ini":
		return INI
	case ".env":
		return Env
	case ".yaml", ".yml":
		return YAML
	case ".toml":
		return TOML
	case ".json":
		return JSON
	}
	return None
}

// For is the format of a config: declared (configs[].format) when set,
// else FormatOf(path). declared is not checked; dist.yaml's loader does
// that.
func For(declared, path string) Format {
	if declared != "" {
		return Format(declared)
	}
	return FormatOf(path)
}

// Setting is one key's value and where it is written.
type Setting struct {
	Value string
	Line  int // 1-based; 0 when the parser cannot tell
}

// Config maps flattened keys to their settings.
type Config map[string]Setting

// Keys returns the keys in sorted order.
func (c Config) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// set adds a key, refusing a second one: a config that says the same thing
// twice has no single default to compare.
func (c Config) set(path, key string, s Setting) error {
	if old, dup := c[key]; dup {
		msg := fmt.Sprintf("duplicate key %q", key)
		if old.Line > 0 {
			msg += fmt.Sprintf(" (first at line %d)", old.Line)
		}
		return &fileerr.Error{Path: path, Line: s.Line, Msg: msg}
	}
	c[key] = s
	return nil
}

// MaxInputSize bounds the config files this package reads; config files
// are small, and every format's parser holds the whole file. Tests lower
// it.
var MaxInputSize = 16 << 20

// ParseFormat reads a config in the given format; path is used in errors.
// None gives nil and no error: the file is not read.
func ParseFormat(f Format, path string, data []byte) (Config, error) {
	if f == None {
		return nil, nil
	}
	if len(data) > MaxInputSize {
		return nil, &fileerr.Error{Path: path, Msg: fmt.Sprintf("%d bytes is larger than the %d a config file may be", len(data), MaxInputSize)}
	}
	// Editors on Windows put a byte order mark first; no format wants it in
	// its first key.
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	switch f {
	case INI:
		return parseINIConfig(path, data)
	case Env:
		return parseEnv(path, data)
	case YAML:
		return parseYAML(path, data)
	case TOML:
		return parseTOML(path, data)
	case JSON:
		return parseJSON(path, data)
	}
	return nil, fmt.Errorf("%s: %w: %q", path, ErrUnsupported, f)
}

// Kind says how a key differs between two configs.
type Kind string

// Change kinds, named like the policy rules they feed
// (config-key-added, config-key-removed, config-default-changed).
const (
	KeyAdded       Kind = "key-added"
	KeyRemoved     Kind = "key-removed"
	DefaultChanged Kind = "default-changed"
)

// Change is one key that differs.
type Change struct {
	Kind Kind
	Key  string
	From string // value before; "" when added
	To   string // value after; "" when removed
	Line int    // line in the newer config, or in the older one for a removal
}

// Diff reports what changed from old to cur, sorted by key. Either may be
// nil (a config that did not exist).
func Diff(old, cur Config) []Change {
	var out []Change
	for k, n := range cur {
		o, ok := old[k]
		switch {
		case !ok:
			out = append(out, Change{Kind: KeyAdded, Key: k, To: n.Value, Line: n.Line})
		case o.Value != n.Value:
			out = append(out, Change{Kind: DefaultChanged, Key: k, From: o.Value, To: n.Value, Line: n.Line})
		}
	}
	for k, o := range old {
		if _, ok := cur[k]; !ok {
			out = append(out, Change{Kind: KeyRemoved, Key: k, From: o.Value, Line: o.Line})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// join builds a dotted key.
func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// lineAt is the 1-based line holding byte offset off.
func lineAt(data []byte, off int) int {
	if off > len(data) {
		off = len(data)
	}
	return bytes.Count(data[:off], []byte("\n")) + 1
}

// MultiLine reports whether a value spans lines: an INI value with
// continuation lines ("kinto.includes = a" and indented lines below), a YAML
// block scalar, a TOML multi-line string.
func MultiLine(v string) bool { return strings.ContainsAny(v, "\r\n") }

// valueLines splits a value into its lines, leaving out blank ones.
func valueLines(v string) []string {
	var out []string
	for _, l := range strings.FieldsFunc(v, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if strings.TrimSpace(l) != "" {
			out = append(out, strings.TrimRight(l, " \t"))
		}
	}
	return out
}

// OneLine writes a value on one line: a value that spans lines as its
// non-blank lines, trimmed and joined with a space (which is how Pyramid's
// aslist and PasteDeploy read an INI list such as kinto.includes); any other
// value as it is.
func OneLine(v string) string {
	if !MultiLine(v) {
		return v
	}
	ls := valueLines(v)
	for i := range ls {
		ls[i] = strings.TrimSpace(ls[i])
	}
	return strings.Join(ls, " ")
}

// LineChanges compares two values line by line, as a short diff for a value
// that spans lines: the lines to has that from lacks, in to's order, and the
// lines from has that to lacks, in from's order. A line written twice
// counts twice; blank lines do not count. Both are empty when the values
// differ only in order or in blank lines.
func LineChanges(from, to string) (added, removed []string) {
	f, t := valueLines(from), valueLines(to)
	count := map[string]int{}
	for _, l := range f {
		count[l]++
	}
	for _, l := range t {
		if count[l] > 0 {
			count[l]--
			continue
		}
		added = append(added, l)
	}
	count = map[string]int{}
	for _, l := range t {
		count[l]++
	}
	for _, l := range f {
		if count[l] > 0 {
			count[l]--
			continue
		}
		removed = append(removed, l)
	}
	return added, removed
}
