// Package redact hides passwords written into URLs so that they can be
// printed. It works on text, so that a URL that does not parse (a password
// with a bare "%", say) is redacted too.
package redact

import "strings"

// userinfo finds the "user:pass" of a URL-like string: after "scheme://"
// (or at the start when there is no scheme) and before the last "@" of the
// authority. ok is false when there is no password.
func userinfo(s string) (start, colon, at int, ok bool) {
	if i := strings.Index(s, "://"); i >= 0 {
		start = i + 3
	}
	rest := s[start:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	at = strings.LastIndex(rest[:end], "@")
	if at < 0 {
		return 0, 0, 0, false
	}
	colon = strings.Index(rest[:at], ":")
	if colon < 0 {
		return 0, 0, 0, false
	}
	return start, start + colon, start + at, true
}

// URL replaces the password of a URL with "***", whether or not the URL
// parses: "https://u:p%zz@host/x" is shown as "https://u:***@host/x".
func URL(s string) string {
	_, colon, at, ok := userinfo(s)
	if !ok {
		return s
	}
	return s[:colon+1] + "***" + s[at:]
}

// Password returns the password written in a URL, as written (not
// unescaped), or "".
func Password(s string) string {
	_, colon, at, ok := userinfo(s)
	if !ok {
		return ""
	}
	return s[colon+1 : at]
}

// Secrets lists the forms in which a URL's password may appear in a
// message: as written and, when it unescapes, unescaped.
func Secrets(rawURL string) []string {
	p := Password(rawURL)
	if p == "" {
		return nil
	}
	out := []string{p}
	if u, err := unescape(p); err == nil && u != p && u != "" {
		out = append(out, u)
	}
	return out
}

// String replaces every secret in s with "***".
func String(s string, secrets ...string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "***")
		}
	}
	return s
}

func unescape(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) || !ishex(s[i+1]) || !ishex(s[i+2]) {
			return "", errBadEscape
		}
		b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
		i += 2
	}
	return b.String(), nil
}

type badEscape struct{}

func (badEscape) Error() string { return "bad escape" }

var errBadEscape error = badEscape{}

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
