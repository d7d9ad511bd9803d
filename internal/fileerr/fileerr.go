// Package fileerr is the one shape of dist's errors about a place in a
// file: "path:line: message", or "path: message" when no line applies.
// Every parser and loader returns it, so every such error reads the same
// and the CLI can tell a bad file (exit 2) from a failed check.
package fileerr

import "fmt"

// Error is a problem at a line of a file.
type Error struct {
	Path string
	Line int // 1-based; 0 when the problem is the file as a whole
	Msg  string
	// Err is what the problem is, for errors.Is (a sentinel such as
	// changelog.ErrNoUnreleased), or nil; Msg says it for people.
	Err error
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Msg)
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an Error with a formatted message.
func New(path string, line int, format string, args ...any) *Error {
	return &Error{Path: path, Line: line, Msg: fmt.Sprintf(format, args...)}
}
