// Package lock carries out dist's lock commands: add, upgrade, verify,
// outdated and why, over the lockfiles a manifest lists (loaded by
// lockset) and the sources behind them. Add and Upgrade are whole
// commands: they take the lockfiles' locks, load them, edit and write
// them (AddTo and UpgradeIn are their edits, in memory). It prints
// nothing; the CLI renders what it returns.
package lock

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/lockfile"
	"github.com/distbuild/dist/internal/lockset"
	"github.com/distbuild/dist/internal/pep440"
	"github.com/distbuild/dist/internal/pep508"
	"github.com/distbuild/dist/internal/source"
	"github.com/distbuild/dist/internal/version"
)

// lockHashes picks what a lockfile records of a release: for Go modules only
// the zip hash (go.sum's first line, what `go mod download -json` calls
// Sum); for the others every file's hash.
func lockHashes(ecosystem string, rel *source.Release) []string {
	hs := rel.Hashes()
	if ecosystem == source.GoMod && len(hs) > 1 {
		return hs[:1]
	}
	// Sorted, as pip-compile and hashin write them, so that the order an
	// index lists files in never shows up as a change.
	sort.Strings(hs)
	return hs
}

// Spec is one thing to pin, parsed from the command line.
type Spec struct {
	Name    string
	Version string // "" for the latest stable, or the one Specifiers picks
	// Extras are a pypi project's extras as written ("[socks]"), or "".
	Extras string
	// Specifiers is a pypi version range in canonical PEP 440 form
	// (">=14,<15"), "" for none: the newest version it admits is pinned.
	Specifiers string
}

// requirement is the spec as the resolver reads it: name, extras and
// version or range.
func (sp Spec) requirement() string {
	text := sp.Name + sp.Extras
	switch {
	case sp.Version != "":
		text += "==" + sp.Version
	case sp.Specifiers != "":
		text += sp.Specifiers
	}
	return text
}

// ParseSpec reads name, name==ver, module@ver or image:tag. A pypi spec is
// a PEP 508 requirement without URL or marker: extras
// ("requests[socks]==2.32.3") and PEP 440 ranges ("kinto>=14,<15") are
// accepted; "==" with one version (not a ".*" prefix) is an exact pin.
func ParseSpec(ecosystem, s string) (Spec, error) {
	if ecosystem == source.PyPI {
		return parsePyPISpec(s)
	}
	if name, v, ok := strings.Cut(s, "=="); ok {
		if name == "" || v == "" {
			return Spec{}, failure.Usagef("%q: want NAME==VERSION", s)
		}
		return Spec{Name: name, Version: v}, nil
	}
	switch ecosystem {
	case source.GoMod:
		if name, v, ok := strings.Cut(s, "@"); ok {
			if v == "latest" {
				v = ""
			}
			return Spec{Name: name, Version: v}, nil
		}
	case source.OCI:
		slash := strings.LastIndexByte(s, '/')
		if i := strings.LastIndexByte(s, ':'); i > slash {
			return Spec{Name: s[:i], Version: s[i+1:]}, nil
		}
	}
	if strings.ContainsAny(s, " <>=!~;@") {
		return Spec{}, failure.Usagef("%q: want %s", s, map[string]string{source.GoMod: "NAME, NAME==VERSION or MODULE@VERSION", source.OCI: "NAME, NAME==VERSION or IMAGE:TAG"}[ecosystem])
	}
	return Spec{Name: s}, nil
}

const pypiSpecForms = "NAME, NAME==VERSION, NAME[EXTRA]==VERSION or a range such as NAME>=14,<15"

func parsePyPISpec(s string) (Spec, error) {
	r, err := pep508.ParseRequirement(s)
	switch {
	case err != nil && strings.Contains(s, "/"):
		return Spec{}, failure.Usagef("%q is not a Python project: want %s", s, pypiSpecForms)
	case err != nil:
		return Spec{}, failure.Usagef("%q: %v (want %s)", s, err, pypiSpecForms)
	case r.URL != "":
		return Spec{}, failure.Usagef("%q: a URL requirement is not on an index; write it into the lockfile with its --hash", s)
	case r.Marker != nil:
		return Spec{}, failure.Usagef("%q: lock add takes no environment marker: the markers of what the set needs are derived for its targets", s)
	}
	sp := Spec{Name: r.Name}
	if i := strings.IndexByte(s, '['); i >= 0 {
		if j := strings.IndexByte(s[i:], ']'); j >= 0 && len(r.Extras) > 0 {
			// As written, spaces dropped: the lockfile line keeps the
			// user's spelling.
			sp.Extras = strings.Join(strings.Fields(s[i:i+j+1]), "")
		}
	}
	spec := r.Specifiers.String()
	if v, ok := strings.CutPrefix(spec, "==="); ok && !strings.Contains(v, ",") {
		sp.Version = v
	} else if v, ok := strings.CutPrefix(spec, "=="); ok && !strings.ContainsAny(v, ",*") {
		sp.Version = v
	} else {
		sp.Specifiers = spec
	}
	return sp, nil
}

// Pinned is one entry written by add or upgrade. In JSON a version change
// is from/to, as in dist plan's reasons: From is the version pinned before
// ("" for a new pin), Version (to) the one pinned now ("" when removed).
type Pinned struct {
	File string `json:"file"`
	Name string `json:"name"`
	// Extras are the extras the pin's line asks for ("[socks]"), when the
	// command named them.
	Extras  string `json:"extras,omitempty"`
	From    string `json:"from,omitempty"`
	Version string `json:"to,omitempty"`
	// Hashes are the hashes written for the pin, as on its lines.
	Hashes []string `json:"hashes,omitempty"`
	Level  string   `json:"level,omitempty"`
	// Kind is what the command did to the pin.
	Kind PinKind `json:"kind"`
	// Via lists the pins that require a dependency pin.
	Via []string `json:"via,omitempty"`
	// Marker is the environment marker a dependency needed only in some
	// targets carries.
	Marker string `json:"marker,omitempty"`
	// Lines are the lines of the pin the command added beside its own, one
	// per other form the set asks for it in ("requests==2.32.3" beside
	// "requests[socks]==2.32.3", with " ; marker" when it has one): pip's
	// hash mode wants a pinned, hashed line for each (pypa/pip#9644).
	Lines []string `json:"lines,omitempty"`
	// Why says why a pin moved or went: "kinto 15.0.0 requires
	// pyramid>=2".
	Why string `json:"why,omitempty"`
}

// PinKind says what add or upgrade did to a pin. In JSON it is the word
// itself ("upgraded"), which scripts match on.
type PinKind string

// The pin kinds.
const (
	Added      PinKind = "added"      // pinned on request
	Required   PinKind = "required"   // a dependency pinned for another pin
	Upgraded   PinKind = "upgraded"   // moved to a higher version (Level says how far)
	Downgraded PinKind = "downgraded" // moved to a lower version
	Rehashed   PinKind = "rehashed"   // same version, other hashes
	Noted      PinKind = "noted"      // only its marker or "# via" note changed
	Removed    PinKind = "removed"    // taken out: nothing requires it any more
	Unchanged  PinKind = "unchanged"  // already pinned so
)

// Options shared by add and upgrade.
type Options struct {
	IncludePre bool
	// NoDeps pins only what is named, as hashin does; otherwise a pypi
	// lockfile is resolved with the rest of its set.
	NoDeps bool
	// Set is the pypi pin set the target belongs to; nil resolves nothing.
	Set *lockset.PySet
	// Lockfiles are every lockfile of the manifest, loaded with the
	// target: add refuses to pin a name another of them pins at another
	// version. Nil checks the set's lockfiles (or the target alone).
	Lockfiles []*lockset.Target
}

// lockfiles returns what the conflict check compares: Lockfiles, else the
// set's and t.
func (o Options) lockfiles(t *lockset.Target) []*lockset.Target {
	if o.Lockfiles != nil {
		return o.Lockfiles
	}
	var out []*lockset.Target
	if o.Set != nil {
		out = append(out, o.Set.Targets...)
	}
	if !slices.Contains(out, t) {
		out = append(out, t)
	}
	return out
}

// envs returns the targets pins are compared in, nil when unknown.
func (o Options) envs() []pep508.Env {
	if o.Set != nil {
		return o.Set.Envs
	}
	return nil
}

// resolve finds the release to pin for a spec.
func resolve(ctx context.Context, src source.Source, sp Spec, o Options) (*source.Release, error) {
	eco := src.Ecosystem()
	v := sp.Version
	if v == "" {
		canon, versions, err := src.Versions(ctx, sp.Name)
		if err != nil {
			return nil, err
		}
		if sp.Specifiers != "" {
			// As pip-compile picks, and as the resolver does: the newest
			// version the range admits, prereleases only when asked for
			// or named by the range.
			set, err := pep440.ParseSpecifiers(sp.Specifiers)
			if err != nil {
				return nil, failure.Usagef("%s%s: %v", sp.Name, sp.Specifiers, err)
			}
			var matching []string
			for _, v := range versions {
				if set.Contains(v, o.IncludePre) {
					matching = append(matching, v)
				}
			}
			latest, ok := version.Latest(eco, matching, true, nil)
			if !ok {
				return nil, source.NotFound("%s: no version matches %s (the index has %s)", canon, sp.Specifiers, describeVersions(versions))
			}
			return src.Release(ctx, canon, latest.Raw)
		}
		var like *version.V
		if eco == source.OCI {
			// An image without a tag follows plain X.Y.Z releases.
			p, _ := version.Parse(eco, "1.0.0")
			like = &p
		}
		latest, ok := version.Latest(eco, versions, o.IncludePre, like)
		if !ok {
			return nil, fmt.Errorf("%s: no stable version found (use --include-prereleases or NAME==VERSION)", canon)
		}
		v = latest.Raw
		sp.Name = canon
	}
	return src.Release(ctx, sp.Name, v)
}

// describeVersions lists the newest few of versions for a message.
func describeVersions(versions []string) string {
	switch n := len(versions); {
	case n == 0:
		return "no version"
	case n <= 5:
		return strings.Join(versions, ", ")
	default:
		return strings.Join(versions[n-5:], ", ") + fmt.Sprintf(" and %d older", n-5)
	}
}

// AddTo pins every spec in the target lockfile, in memory: Add's edit,
// which the caller writes. A pypi lockfile is resolved
// with its set (unless NoDeps): what the specs need is pinned too, in the
// lockfile its dependencies: names. An edit that would pin a name at a
// second version, in any lockfile of o.Lockfiles, is refused with a
// *ConflictError naming both places.
func AddTo(ctx context.Context, t *lockset.Target, specs []string, o Options) ([]Pinned, error) {
	eco := t.Source.Ecosystem()
	parsed := make([]Spec, len(specs))
	for i, s := range specs {
		sp, err := ParseSpec(eco, s)
		if err != nil {
			return nil, err
		}
		parsed[i] = sp
	}
	if eco == source.PyPI && !o.NoDeps && o.Set != nil {
		into := o.Set.TargetOf(t.Lock)
		if into == nil {
			return nil, failure.Usagef("%s is not a pypi lockfile of the set", t.Lock.Path)
		}
		if o.Set.IsDepsFile(into) {
			return nil, failure.Usagef("%s holds the dependencies of %s: add to that lockfile instead", t.Lock.Path, o.Set.Manifest.DependentsOf(into.Lock)[0].Path)
		}
		pins, err := resolveSet(ctx, o.Set, resolveRequest{into: into, specs: parsed, opts: o})
		if err != nil {
			return nil, err
		}
		return pins, checkConflicts(o.lockfiles(t), o.envs())
	}
	rels := make([]*source.Release, len(parsed))
	var extra [][]*source.Release
	extra = make([][]*source.Release, len(parsed))
	g, gctx := errgroup.WithContext(ctx)
	for i, sp := range parsed {
		g.Go(func() error {
			rel, err := resolve(gctx, t.Source, sp, o)
			if err != nil {
				return err
			}
			rels[i] = rel
			if req, ok := t.Source.(source.Requirer); ok {
				deps, err := req.BuildList(gctx, rel.Name, rel.Version)
				if err != nil {
					return err
				}
				extra[i], err = releases(gctx, t.Source, deps)
				return err
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var out []Pinned
	for i, rel := range rels {
		p := writePin(t, rel, Added)
		if _, ok := t.Source.(source.Requirer); ok {
			// Asked for by name: a direct pin, whatever pulled it in
			// before.
			if e := findPin(t.File, rel.Name, lockfile.Normalizer(eco)); e != nil && t.File.SetVia(e, nil) && p.Kind == Unchanged {
				p.Kind = Noted
			}
		}
		if x := parsed[i].Extras; x != "" {
			if t.File.SetExtras(findPin(t.File, rel.Name, lockfile.Normalizer(eco)), x) && p.Kind == Unchanged {
				p.Kind = Noted
			}
			p.Extras = x
		}
		out = append(out, p)
		for _, d := range extra[i] {
			if p := requirePin(t, d, rel.Name); p != nil {
				out = append(out, *p)
			}
		}
	}
	return out, checkConflicts(o.lockfiles(t), o.envs())
}

// releases fetches many releases at once.
func releases(ctx context.Context, src source.Source, pins []source.Pin) ([]*source.Release, error) {
	out := make([]*source.Release, len(pins))
	g, gctx := errgroup.WithContext(ctx)
	for i, p := range pins {
		g.Go(func() error {
			rel, err := src.Release(gctx, p.Name, p.Version)
			out[i] = rel
			return err
		})
	}
	return out, g.Wait()
}

// writePin writes rel into the file, replacing an existing entry in place.
func writePin(t *lockset.Target, rel *source.Release, kind PinKind) Pinned {
	eco := t.Source.Ecosystem()
	norm := lockfile.Normalizer(eco)
	hs := lockHashes(eco, rel)
	p := Pinned{File: t.Lock.Path, Name: rel.Name, Version: rel.Version, Hashes: hs, Kind: kind}
	if e := findPin(t.File, rel.Name, norm); e != nil {
		p.From = e.Version
		p.Kind = classify(eco, e.Version, rel.Version, &p)
		// The user's spelling of the name stays: only the pin changes.
		if !t.File.Update(e, e.Name, rel.Version, hs) {
			p.Kind = Unchanged
		} else if p.Kind == Unchanged {
			p.Kind = Rehashed
		}
		return p
	}
	t.File.Add(rel.Name, rel.Version, hs, norm)
	return p
}

// requirePin raises or adds a pin that by's build needs; it never lowers one.
// It returns nil when nothing changed. An empty by notes nothing.
//
// The pin's "# via" note gains by, as pip-compile notes what pulled a
// dependency in: the note is how plan tells the modules named to lock add
// from the ones they pulled in (DESIGN §4). A pin with no note stays
// without one, since it was named itself, unless the lockfile was written
// before dist kept notes (it has none at all): then every module of by's
// build list is taken as pulled in.
func requirePin(t *lockset.Target, rel *source.Release, by string) *Pinned {
	eco := t.Source.Ecosystem()
	norm := lockfile.Normalizer(eco)
	e := findPin(t.File, rel.Name, norm)
	note := e == nil || len(e.Via()) > 0 || !hadVia(t)
	if e != nil {
		a, err1 := version.Parse(eco, e.Version)
		b, err2 := version.Parse(eco, rel.Version)
		if err1 == nil && err2 == nil && version.Compare(a, b) >= 0 && len(e.Hashes) > 0 {
			if note && noteVia(t, e, by) {
				return &Pinned{File: t.Lock.Path, Name: e.Name, Version: e.Version, Hashes: e.Hashes, Kind: Noted, Via: e.Via()}
			}
			return nil
		}
	}
	p := writePin(t, rel, Required)
	noted := false
	if e = findPin(t.File, rel.Name, norm); note && e != nil {
		noted = noteVia(t, e, by)
		p.Via = e.Via()
	}
	if p.Kind == Unchanged {
		if !noted {
			return nil
		}
		p.Kind = Noted
	}
	if p.From == "" {
		p.Kind = Required
	}
	return &p
}

// noteVia adds by to e's "# via" note; it reports whether that changed it.
func noteVia(t *lockset.Target, e *lockfile.Entry, by string) bool {
	if by == "" || lockfile.Normalizer(t.Source.Ecosystem())(e.Name) == lockfile.Normalizer(t.Source.Ecosystem())(by) {
		return false
	}
	via := e.Via()
	if slices.Contains(via, by) {
		return false
	}
	return t.File.SetVia(e, append(via, by))
}

// hadVia reports whether the lockfile as read had any "# via" note.
func hadVia(t *lockset.Target) bool {
	f, err := lockfile.Parse(t.Lock.Path, t.Original())
	return err == nil && slices.ContainsFunc(f.Entries(), (*lockfile.Entry).HasVia)
}

func classify(eco, from, to string, p *Pinned) PinKind {
	if from == to {
		return Unchanged
	}
	a, err1 := version.Parse(eco, from)
	b, err2 := version.Parse(eco, to)
	if err1 != nil || err2 != nil {
		return Upgraded
	}
	p.Level = version.Classify(a, b).String()
	if version.Compare(a, b) > 0 {
		return Downgraded
	}
	return Upgraded
}

// Outdated is one pin with a newer version available. In JSON the
// versions are from/to, as everywhere a version changes.
type Outdated struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Name    string `json:"name"`
	Current string `json:"from"`
	Latest  string `json:"to"`
	// Level is major, minor or patch, or rehash for a tag whose digest
	// moved.
	Level string `json:"level"`
}

// latestReleases finds, for each index pin of a target (the ones specs
// name when there are any), the release it could move to: the latest, or
// the version or newest in the range the pin's spec gives. rels[i] is
// entries[i]'s, nil when there is nothing to fetch for it (no newer
// version, and its pin is complete; an image's tag is always fetched,
// since its digest can move).
func latestReleases(ctx context.Context, t *lockset.Target, specs []Spec, o Options) ([]*lockfile.Entry, []*source.Release, error) {
	eco := t.Source.Ecosystem()
	norm := lockfile.Normalizer(eco)
	var entries []*lockfile.Entry
	var bounds []Spec // by entry: a spec with a version or range, else none
	if len(specs) == 0 {
		// A "name @ URL" line pins a file, not a release: nothing to move.
		for _, e := range t.File.Entries() {
			if indexPin(e) {
				entries = append(entries, e)
			}
		}
		bounds = make([]Spec, len(entries))
	} else {
		for _, sp := range specs {
			if e := findPin(t.File, sp.Name, norm); e != nil {
				entries = append(entries, e)
				bounds = append(bounds, sp)
			}
		}
	}
	rels := make([]*source.Release, len(entries))
	g, gctx := errgroup.WithContext(ctx)
	for i, e := range entries {
		g.Go(func() error {
			if sp := bounds[i]; sp.Version != "" || sp.Specifiers != "" {
				// Where the user said: up, down or to the same version.
				rel, err := resolve(gctx, t.Source, Spec{Name: e.Name, Version: sp.Version, Specifiers: sp.Specifiers}, o)
				if err != nil {
					return fmt.Errorf("%s:%d: %w", t.Lock.Path, e.Line, err)
				}
				rels[i] = rel
				return nil
			}
			canon, versions, err := t.Source.Versions(gctx, e.Name)
			if err != nil {
				return fmt.Errorf("%s:%d: %w", t.Lock.Path, e.Line, err)
			}
			cur, err := version.Parse(eco, e.Version)
			var like *version.V
			if err == nil && eco == source.OCI {
				like = &cur
			}
			latest, ok := version.Latest(eco, versions, o.IncludePre || (err == nil && cur.Pre), like)
			if !ok {
				return nil
			}
			if err == nil && version.Compare(latest, cur) < 0 {
				return nil
			}
			// Images move under a fixed tag; other ecosystems publish a
			// version once, so an unchanged version needs no request.
			if latest.Raw == e.Version && eco != source.OCI && e.Pinned() {
				return nil
			}
			rel, err := t.Source.Release(gctx, canon, latest.Raw)
			if err != nil {
				return fmt.Errorf("%s:%d: %w", t.Lock.Path, e.Line, err)
			}
			rels[i] = rel
			return nil
		})
	}
	return entries, rels, g.Wait()
}

// upgradeSpec reads an argument of lock upgrade as ecosystem eco does:
// the pin's name, or where to move it, as pip-compile's --upgrade-package
// takes it: NAME==VERSION (MODULE@VERSION, IMAGE:TAG), or for pypi a
// PEP 440 range. Extras are refused: upgrade moves a project's every line.
func upgradeSpec(eco, arg string) (Spec, error) {
	sp, err := ParseSpec(eco, arg)
	if err != nil {
		return Spec{}, err
	}
	if sp.Extras != "" {
		return Spec{}, failure.Usagef("%q: upgrade moves a pin with all its lines: name it without extras (lock add changes extras)", arg)
	}
	return sp, nil
}

// UpgradeIn moves pins of targets, in memory: every pin to its latest
// version when specs is empty, else the ones specs name, wherever they
// are pinned, each to its latest version or to the version, or the newest
// in the range, that its spec gives (upgradeSpec). In a pypi set that is
// a bound on the resolution, as pip-compile's --upgrade-package
// NAME==VERSION is: the rest of the set moves only as far as it must. A
// spec that names no pin of targets is a *failure.UsageError. It is
// Upgrade's edit, which the caller writes.
func UpgradeIn(ctx context.Context, targets []*lockset.Target, specs []string, o Options) ([]Pinned, error) {
	return upgradeIn(ctx, targets, specs, o, &readSpecs{name: map[string]string{}, err: map[string]error{}})
}

// readSpecs remembers how the ecosystems tried read each upgrade spec:
// the name it gave, or why none could read it.
type readSpecs struct {
	name map[string]string
	err  map[string]error
}

// read is upgradeSpec, noted.
func (r *readSpecs) read(eco, arg string) (Spec, error) {
	sp, err := upgradeSpec(eco, arg)
	if err == nil {
		r.name[arg] = sp.Name
	} else if r.err[arg] == nil {
		r.err[arg] = err
	}
	return sp, err
}

// notPinned is the error for a spec that no lockfile acted on pins: that
// its name is not pinned, or why no ecosystem could read it.
func (r *readSpecs) notPinned(arg string) error {
	if name, ok := r.name[arg]; ok {
		return failure.Usagef("%s is not pinned in any lockfile acted on", name)
	}
	if err := r.err[arg]; err != nil {
		return err
	}
	return failure.Usagef("%s is not pinned in any lockfile acted on", arg)
}

// upgradeIn is UpgradeIn, noting in r how it read the specs.
func upgradeIn(ctx context.Context, targets []*lockset.Target, specs []string, o Options, r *readSpecs) ([]Pinned, error) {
	if !o.NoDeps && o.Set != nil {
		var rest []*lockset.Target
		var py []*lockset.Target
		for _, t := range targets {
			if t.Source.Ecosystem() == source.PyPI {
				py = append(py, t)
			} else {
				rest = append(rest, t)
			}
		}
		if len(py) > 0 {
			// The set is resolved as a whole, whichever of its files were
			// named: a pin's move can move its dependencies anywhere.
			var mine []string
			var bounds []Spec
			var left []string
			for _, arg := range specs {
				sp, err := r.read(source.PyPI, arg)
				switch {
				case err != nil:
					left = append(left, arg)
				case len(targetsPinning(o.Set, sp.Name)) == 0:
					left = append(left, arg)
				default:
					mine = append(mine, sp.Name)
					if sp.Version != "" || sp.Specifiers != "" {
						bounds = append(bounds, sp)
					}
				}
			}
			all := len(specs) == 0
			if all && len(py) < len(o.Set.Targets) {
				// --all with -f: every pin of that file moves, the rest of
				// the set only as far as it must.
				all = false
				for _, t := range py {
					for _, e := range t.File.Entries() {
						if indexPin(e) {
							mine = append(mine, e.Name)
						}
					}
				}
			}
			var out []Pinned
			if len(specs) == 0 || len(mine) > 0 {
				p, err := resolveSet(ctx, o.Set, resolveRequest{into: directTarget(o.Set), upgrade: mine, bounds: bounds, all: all, prune: true, opts: o})
				if err != nil {
					return nil, err
				}
				out = p
			}
			if len(rest) == 0 {
				if len(left) > 0 {
					return nil, r.notPinned(left[0])
				}
				return out, nil
			}
			if len(specs) > 0 && len(left) == 0 {
				return out, nil
			}
			more, err := upgradeIn(ctx, rest, left, Options{IncludePre: o.IncludePre}, r)
			return append(out, more...), err
		}
	}
	found := map[string]bool{}
	var out []Pinned
	for _, t := range targets {
		var mine []Spec
		if len(specs) > 0 {
			norm := lockfile.Normalizer(t.Source.Ecosystem())
			for _, arg := range specs {
				sp, err := r.read(t.Source.Ecosystem(), arg)
				if err != nil {
					continue
				}
				if findPin(t.File, sp.Name, norm) != nil {
					mine = append(mine, sp)
					found[arg] = true
				}
			}
			if len(mine) == 0 {
				continue
			}
		}
		p, err := upgrade(ctx, t, mine, o)
		if err != nil {
			return nil, err
		}
		out = append(out, p...)
	}
	for _, arg := range specs {
		if !found[arg] {
			return nil, r.notPinned(arg)
		}
	}
	return out, nil
}

func upgrade(ctx context.Context, t *lockset.Target, specs []Spec, o Options) ([]Pinned, error) {
	_, rels, err := latestReleases(ctx, t, specs, o)
	if err != nil {
		return nil, err
	}
	var out []Pinned
	var moved []*source.Release
	for _, rel := range rels {
		if rel == nil {
			continue
		}
		p := writePin(t, rel, Upgraded)
		if p.Kind != Unchanged {
			out = append(out, p)
			moved = append(moved, rel)
		}
	}
	if req, ok := t.Source.(source.Requirer); ok && len(moved) > 0 {
		g, gctx := errgroup.WithContext(ctx)
		extra := make([][]*source.Release, len(moved))
		for i, rel := range moved {
			g.Go(func() error {
				deps, err := req.BuildList(gctx, rel.Name, rel.Version)
				if err != nil {
					return err
				}
				extra[i], err = releases(gctx, t.Source, deps)
				return err
			})
		}
		if err := g.Wait(); err != nil {
			return nil, err
		}
		// A lockfile written before dist kept "# via" notes gets them from
		// lock add, which knows which module was asked for; an upgrade
		// noting some would make the rest look asked for.
		annotated := hadVia(t)
		for i, rel := range moved {
			by := rel.Name
			if !annotated {
				by = ""
			}
			for _, d := range extra[i] {
				if p := requirePin(t, d, by); p != nil {
					out = append(out, *p)
				}
			}
		}
	}
	return out, nil
}

// ListOutdated reports what UpgradeIn would change in targets, without
// writing: a row per pin with a newer version (or, for an image tag, a
// moved digest), in the targets' order; an empty list when there is none.
func ListOutdated(ctx context.Context, targets []*lockset.Target, o Options) ([]Outdated, error) {
	out := []Outdated{}
	for _, t := range targets {
		rows, err := listOutdated(ctx, t, o)
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
	}
	return out, nil
}

// listOutdated is ListOutdated for one target.
func listOutdated(ctx context.Context, t *lockset.Target, o Options) ([]Outdated, error) {
	entries, rels, err := latestReleases(ctx, t, nil, o)
	if err != nil {
		return nil, err
	}
	var out []Outdated
	eco := t.Source.Ecosystem()
	for i, rel := range rels {
		if rel == nil {
			continue
		}
		e := entries[i]
		row := Outdated{File: t.Lock.Path, Line: e.Line, Name: e.Name, Current: e.Version, Latest: rel.Version}
		if rel.Version == e.Version {
			if sameHashes(e.Hashes, lockHashes(eco, rel)) {
				continue
			}
			row.Level = "rehash"
		} else {
			var p Pinned
			classify(eco, e.Version, rel.Version, &p)
			row.Level = p.Level
			if row.Level == "" {
				row.Level = "major"
			}
		}
		out = append(out, row)
	}
	return out, nil
}

func sameHashes(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	set := map[string]bool{}
	for _, h := range a {
		set[lockfile.NormHash(h)] = true
	}
	for _, h := range b {
		if !set[lockfile.NormHash(h)] {
			return false
		}
	}
	return true
}

// pinnedNames returns those of names that the target pins.
func pinnedNames(t *lockset.Target, names []string) []string {
	norm := lockfile.Normalizer(t.Source.Ecosystem())
	var out []string
	for _, n := range names {
		if findPin(t.File, n, norm) != nil {
			out = append(out, n)
		}
	}
	return out
}
