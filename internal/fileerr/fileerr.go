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
	// Err is the cause, for errors.Is and errors.As (a sentinel such as
	// changelog.ErrNoUnreleased, an *fs.PathError), or nil; Msg says it
	// for people.
	Err error
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Msg)
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an Error with a formatted message and no cause. To keep a
// cause, use Wrap: New flattens its arguments into Msg.
func New(path string, line int, format string, args ...any) *Error {
	return &Error{Path: path, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// Wrap returns an Error at path:line (line 0: the file as a whole) whose
// Msg is err's message and whose Err is err, so errors.Is and errors.As
// still reach the cause (an *fs.PathError, a parser's typed error, a
// sentinel). To say where the cause came from, wrap it first:
// Wrap(path, line, fmt.Errorf("lockfile %s: %w", p, err)). err must not
// be nil.
func Wrap(path string, line int, err error) *Error {
	return &Error{Path: path, Line: line, Msg: err.Error(), Err: err}
}
