// Package failure is dist's error vocabulary for what went wrong, as DESIGN
// §3 sorts it: a usage or configuration error (what was typed, dist.yaml or
// a file it names cannot be used as given) or a check that failed (a hash
// mismatch, drift, a policy violation, a refused release, an incomplete
// pin set). Packages wrap an error in one of the two where they know which
// it is; the CLI maps them to exit codes in one place. An error wrapped in
// neither is a failure of the world dist works in (an index or registry
// that failed, a build that broke) and also exits 1.
//
// A *fileerr.Error, a problem at a place in a file, is a configuration
// error too: the CLI reads it so without a wrapper.
package failure

import "fmt"

// UsageError is a command line, dist.yaml or file it names that cannot be
// used as given: exit 2. Err says what and where; it is nil when the
// command has already printed why, and then Error is "".
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return msg(e.Err) }
func (e *UsageError) Unwrap() error { return e.Err }

// CheckError is a check that ran and failed: exit 1. Err says what was
// found; it is nil when the command has already printed the findings (dist
// lock verify's problems), and then Error is "".
type CheckError struct{ Err error }

func (e *CheckError) Error() string { return msg(e.Err) }
func (e *CheckError) Unwrap() error { return e.Err }

// Usage wraps err as a usage or configuration error; nil stays nil.
func Usage(err error) error {
	if err == nil {
		return nil
	}
	return &UsageError{Err: err}
}

// Usagef is Usage of fmt.Errorf(format, args...); %w wraps as there.
func Usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// Check wraps err as a failed check; nil stays nil.
func Check(err error) error {
	if err == nil {
		return nil
	}
	return &CheckError{Err: err}
}

// Checkf is Check of fmt.Errorf(format, args...); %w wraps as there.
func Checkf(format string, args ...any) error {
	return &CheckError{Err: fmt.Errorf(format, args...)}
}

func msg(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
