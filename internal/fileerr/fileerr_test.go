package fileerr

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"
)

func TestWrapKeepsTheCause(t *testing.T) {
	cause := &fs.PathError{Op: "open", Path: "x", Err: fs.ErrNotExist}
	err := Wrap("dist.yaml", 4, fmt.Errorf("lockfile x: %w", cause))
	if got, want := err.Error(), "dist.yaml:4: lockfile x: open x: file does not exist"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe != cause {
		t.Errorf("errors.As(%v, *fs.PathError) did not reach the cause", err)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is(%v, fs.ErrNotExist) = false", err)
	}
	if got, want := Wrap("VERSION", 0, cause).Error(), "VERSION: open x: file does not exist"; got != want {
		t.Errorf("line 0: Error() = %q, want %q", got, want)
	}
}

func TestNewHasNoCause(t *testing.T) {
	if err := New("a.txt", 2, "bad %s", "thing"); err.Err != nil || err.Error() != "a.txt:2: bad thing" {
		t.Errorf("New = %q with Err %v", err.Error(), err.Err)
	}
}
