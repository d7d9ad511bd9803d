package render

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/fileerr"
	"github.com/distbuild/dist/internal/lockfile"
	"github.com/distbuild/dist/internal/manifest"
)

// Data is what a template sees as ".".
type Data struct {
	// Name is the distribution's name from dist.yaml.
	Name string
	// Version is the content of the VERSION file, e.g. "14.1.0.dev0".
	Version string
	// Pins maps each pinned name to its version, for {{ index .Pins "kinto" }}
	// and sprig's hasKey. A name is there as written in its lockfile and, when
	// different, in its ecosystem's normalized form ("kinto-signer" for
	// "Kinto_Signer"). When two lockfiles pin one name, the first lockfile in
	// dist.yaml wins here; PinList has both.
	//
	// The values are strings, but the map is map[string]any because sprig's
	// dict functions (hasKey, get, keys, dig) accept nothing else.
	Pins map[string]any
	// PinList is every pinned entry of every lockfile, in dist.yaml order and
	// then file order, for ranging over.
	PinList []Pin
	// Vars is dist.yaml's vars: with --set values on top; map[string]any for
	// the same reason as Pins.
	Vars map[string]any
}

// Pin is one pinned lockfile entry.
type Pin struct {
	Name      string // as written
	Version   string // as written: "14.3.0", "v2.26.0", an image tag
	Ecosystem string // pypi, gomod, oci
	Lockfile  string // repository-relative path
}

// NewData gathers the template data for m; vars (from --set) override the
// manifest's vars:.
func NewData(m *manifest.Manifest, vars map[string]string) (*Data, error) {
	d := &Data{Name: m.Name, Pins: map[string]any{}, Vars: map[string]any{}}
	v, err := m.Version()
	if err != nil {
		return nil, err
	}
	d.Version = v.Raw
	// Normalized aliases go in after every written name, so that a name
	// written in one lockfile is never shadowed by another's alias.
	aliases := map[string]string{}
	var aliasOrder []string
	for _, l := range m.Lockfiles {
		data, err := m.ReadFileKey("lockfile", l.Path)
		if fe := (*fileerr.Error)(nil); errors.As(err, &fe) {
			return nil, err
		}
		if err != nil {
			return nil, fileerr.Wrap(m.Path, l.Line, fmt.Errorf("lockfile %s: %w", l.Path, unwrapPath(err)))
		}
		f, err := lockfile.Parse(l.Path, data)
		if err != nil {
			return nil, err
		}
		norm := lockfile.Normalizer(l.Ecosystem)
		for _, e := range f.Entries() {
			// A range (">=1.0") is not a version a config can be
			// written for.
			if !e.Pinned() {
				continue
			}
			d.PinList = append(d.PinList, Pin{Name: e.Name, Version: e.Version, Ecosystem: l.Ecosystem, Lockfile: l.Path})
			if _, ok := d.Pins[e.Name]; !ok {
				d.Pins[e.Name] = e.Version
			}
			if n := norm(e.Name); n != e.Name {
				if _, ok := aliases[n]; !ok {
					aliases[n] = e.Version
					aliasOrder = append(aliasOrder, n)
				}
			}
		}
	}
	for _, n := range aliasOrder {
		if _, ok := d.Pins[n]; !ok {
			d.Pins[n] = aliases[n]
		}
	}
	for k, v := range m.Vars {
		d.Vars[k] = v
	}
	for k, v := range vars {
		d.Vars[k] = v
	}
	return d, nil
}

// unwrapPath drops the absolute path *fs.PathError adds, since messages
// name files relative to the repository.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// lookupPin finds name among the pins as written, then normalized by each
// ecosystem the manifest uses.
func (d *Data) lookupPin(name string) (string, bool) {
	if v, ok := d.Pins[name].(string); ok {
		return v, true
	}
	seen := map[string]bool{}
	for _, p := range d.PinList {
		if seen[p.Ecosystem] {
			continue
		}
		seen[p.Ecosystem] = true
		if v, ok := d.Pins[lockfile.Normalizer(p.Ecosystem)(name)].(string); ok {
			return v, true
		}
	}
	return "", false
}

// pinNames lists the pinned names for an error message.
func (d *Data) pinNames() string {
	var names []string
	for _, p := range d.PinList {
		names = append(names, p.Name)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return "no lockfile pins anything"
	}
	return "pinned: " + strings.Join(names, ", ")
}

// ParseSet reads --set arguments, each KEY=VALUE; a later one wins. One that
// is not KEY=VALUE is a *failure.UsageError.
func ParseSet(args []string) (map[string]string, error) {
	out := map[string]string{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, failure.Usagef("--set %q: want KEY=VALUE", a)
		}
		out[k] = v
	}
	return out, nil
}

// slash shows a manifest path the same way on every system.
func slash(p string) string { return filepath.ToSlash(filepath.Clean(p)) }
