package lock

import (
	"github.com/distbuild/dist/internal/lockfile"
)

// indexPin reports whether an entry pins a release an index publishes, as
// opposed to a "name @ URL" line that add, upgrade and outdated leave as it
// is.
func indexPin(e *lockfile.Entry) bool { return !e.IsURL() }

// findPin is File.Find over index pins only.
func findPin(f *lockfile.File, name string, norm func(string) string) *lockfile.Entry {
	for _, e := range f.FindAll(name, norm) {
		if indexPin(e) {
			return e
		}
	}
	return nil
}

// findAllPins is File.FindAll over index pins only.
func findAllPins(f *lockfile.File, name string, norm func(string) string) []*lockfile.Entry {
	var out []*lockfile.Entry
	for _, e := range f.FindAll(name, norm) {
		if indexPin(e) {
			out = append(out, e)
		}
	}
	return out
}
