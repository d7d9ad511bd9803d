package failure

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"
)

func TestWrap(t *testing.T) {
	if Usage(nil) != nil || Check(nil) != nil {
		t.Fatal("wrapping nil gave an error")
	}
	inner := &fs.PathError{Op: "open", Path: "VERSION", Err: fs.ErrNotExist}
	for _, err := range []error{Usage(inner), Check(inner), Usagef("reading: %w", inner), Checkf("reading: %w", inner)} {
		var pe *fs.PathError
		if !errors.As(err, &pe) || !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%T %v: the wrapped error is lost", err, err)
		}
	}
	if got := Usagef("--jobs %d: want at least 1", 0).Error(); got != "--jobs 0: want at least 1" {
		t.Errorf("Usagef: %q", got)
	}
	// The kind survives wrapping with context, as commands add it.
	var ue *UsageError
	if !errors.As(fmt.Errorf("dependencies for linux/amd64: %w", Usage(inner)), &ue) {
		t.Error("UsageError not found through %w")
	}
	// Printed already: nothing more to say.
	if (&CheckError{}).Error() != "" || (&UsageError{}).Error() != "" {
		t.Error("an error with no Err has a message")
	}
}
