package gobuild

import (
	"bytes"
	"io"
	"path/filepath"
	"strings"

	"github.com/distbuild/dist/internal/redact"
)

// report calls logf when it is set.
func report(logf func(string, ...any), format string, args ...any) {
	if logf != nil {
		logf(format, args...)
	}
}

// goVars keeps the GO* and CGO_* settings of an environment: the ones
// Build sets, since it drops every other Go setting of its caller.
func goVars(env []string) []string {
	var out []string
	for _, kv := range env {
		if strings.HasPrefix(kv, "GO") || strings.HasPrefix(kv, "CGO_") {
			out = append(out, kv)
		}
	}
	return out
}

// commandLine shows a command as a shell would run it, its settings first:
// "GOOS=linux GOARCH=amd64 go build -o out pkg". A password in a URL of
// GOPROXY or GOSUMDB (or anywhere else) is replaced by "***".
func commandLine(env, args []string) string {
	var b strings.Builder
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		b.WriteString(k + "=" + shellQuote(redactList(v)) + " ")
	}
	for i, a := range args {
		if i == 0 {
			a = filepath.Base(a)
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(shellQuote(redactList(a)))
	}
	return b.String()
}

// redactList hides the passwords of the URLs in a GOPROXY-style list
// (separated by "," or "|") or a GOSUMDB value ("name+key url").
func redactList(v string) string {
	if !strings.Contains(v, "@") {
		return v
	}
	var b strings.Builder
	start := 0
	for i := 0; i <= len(v); i++ {
		if i == len(v) || v[i] == ',' || v[i] == '|' || v[i] == ' ' {
			b.WriteString(redact.URL(v[start:i]))
			if i < len(v) {
				b.WriteByte(v[i])
			}
			start = i + 1
		}
	}
	return b.String()
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s == "" {
		return s
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_./:=,@+%", c)) {
			return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
		}
	}
	return s
}

// lineWriter copies what the go command writes to w and calls line with
// each complete line as it arrives, so that its progress can be shown
// while it runs. exec gives Stdout and Stderr one goroutine when they are
// the same writer, so it is not called concurrently.
type lineWriter struct {
	w       io.Writer
	line    func(string)
	partial []byte
}

func (lw *lineWriter) Write(p []byte) (int, error) {
	n, err := lw.w.Write(p)
	lw.partial = append(lw.partial, p[:n]...)
	for {
		i := bytes.IndexByte(lw.partial, '\n')
		if i < 0 {
			break
		}
		lw.line(string(lw.partial[:i]))
		lw.partial = lw.partial[i+1:]
	}
	return n, err
}

// flush passes on a last line with no newline.
func (lw *lineWriter) flush() {
	if len(lw.partial) > 0 {
		lw.line(string(lw.partial))
		lw.partial = nil
	}
}
