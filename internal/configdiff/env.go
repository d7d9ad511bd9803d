package configdiff

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/distbuild/dist/internal/fileerr"
)

// The env dialect is the common ground of shell "set -a; . file", systemd's
// EnvironmentFile= and the dotenv libraries:
//
//   - KEY=VALUE, optionally preceded by "export";
//   - 'single quotes' are literal; "double quotes" take \n, \t, \", \\, \$
//     and \` escapes; both may span lines;
//   - an unquoted value ends at " #" (a comment) and is trimmed.
//
// docker --env-file takes values literally, quotes included, so templates
// meant for it should not quote; that is a property of the template, not
// something the parser can check.

var envKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)

func parseEnv(path string, data []byte) (Config, error) {
	c := Config{}
	lines := strings.Split(string(data), "\n")
	bad := func(line int, format string, args ...any) error {
		return &fileerr.Error{Path: path, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	for i := 0; i < len(lines); i++ {
		n := i + 1
		t := strings.TrimLeft(strings.TrimSuffix(lines[i], "\r"), " \t")
		if strings.TrimSpace(t) == "" || t[0] == '#' {
			continue
		}
		if rest, ok := strings.CutPrefix(t, "export"); ok && rest != "" && (rest[0] == ' ' || rest[0] == '\t') {
			t = strings.TrimLeft(rest, " \t")
		}
		eq := strings.IndexByte(t, '=')
		if eq < 0 {
			return nil, bad(n, "expected KEY=VALUE, found %q", strings.TrimSpace(t))
		}
		key := strings.TrimRight(t[:eq], " \t")
		if !envKey.MatchString(key) {
			return nil, bad(n, "invalid variable name %q", key)
		}
		rest := t[eq+1:]
		spaced := strings.HasPrefix(rest, " ") || strings.HasPrefix(rest, "\t")
		rest = strings.TrimLeft(rest, " \t")
		var val string
		switch {
		case rest != "" && (rest[0] == '"' || rest[0] == '\''):
			v, after, end, ok := envQuoted(lines, i, rest)
			if !ok {
				return nil, bad(n, "%s: unterminated %c quote", key, rest[0])
			}
			after = strings.TrimSpace(strings.TrimSuffix(after, "\r"))
			if after != "" && after[0] != '#' {
				return nil, bad(end+1, "%s: unexpected %q after the closing quote", key, after)
			}
			val, i = v, end
		case spaced && strings.HasPrefix(rest, "#"):
			// "KEY= # note" sets KEY to the empty string.
		default:
			val = strings.TrimSpace(envUnquotedComment.ReplaceAllString(strings.TrimSuffix(rest, "\r"), ""))
		}
		if err := c.set(path, key, Setting{Value: val, Line: n}); err != nil {
			return nil, err
		}
	}
	return c, nil
}

var envUnquotedComment = regexp.MustCompile(`[ \t]+#.*$`)

// envQuoted reads a quoted value starting at s (a suffix of lines[i]), going
// on to later lines until the closing quote. It returns the value, the text
// after the quote, and the index of the line the quote closed on.
func envQuoted(lines []string, i int, s string) (val, after string, end int, ok bool) {
	q := s[0]
	s = s[1:]
	var b strings.Builder
	for {
		for j := 0; j < len(s); j++ {
			c := s[j]
			switch {
			case c == q:
				return b.String(), s[j+1:], i, true
			case q == '"' && c == '\\' && j+1 < len(s):
				j++
				switch s[j] {
				case 'n':
					b.WriteByte('\n')
				case 't':
					b.WriteByte('\t')
				case '"', '\\', '$', '`':
					b.WriteByte(s[j])
				default:
					// An unknown escape is kept as written, as the
					// shell does inside double quotes.
					b.WriteByte('\\')
					b.WriteByte(s[j])
				}
			default:
				b.WriteByte(c)
			}
		}
		i++
		if i >= len(lines) {
			return "", "", 0, false
		}
		b.WriteByte('\n')
		s = strings.TrimSuffix(lines[i], "\r")
	}
}
