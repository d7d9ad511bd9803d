package lock

import (
	"context"
	"errors"
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
	"github.com/distbuild/dist/internal/pydeps"
	"github.com/distbuild/dist/internal/resolver"
	"github.com/distbuild/dist/internal/source"
)

// Link is one step of a chain lock why shows: the pin reached, where it is
// pinned, and the requirement that reached it ("" for the direct pin a
// chain starts at).
type Link struct {
	Name        string `json:"name"`
	Version     string `json:"version"`
	Requirement string `json:"requirement,omitempty"`
	File        string `json:"file,omitempty"`
	Line        int    `json:"line,omitempty"`
}

// Why returns every chain of requirements that brings name into the pin
// set s, each from a direct pin to the named one. No set (dist.yaml lists
// no pypi lockfile) or a name the set does not pin is a usage error.
func Why(ctx context.Context, s *lockset.PySet, name string) ([][]Link, error) {
	if s == nil {
		return nil, failure.Usagef("dist.yaml lists no pypi lockfile")
	}
	g, err := s.Graph()
	if err != nil {
		return nil, err
	}
	entries, _ := s.DepEntries()
	found := false
	for _, e := range entries {
		found = found || pep508.NormalizeName(e.Name) == pep508.NormalizeName(name)
	}
	if !found {
		return nil, failure.Usagef("%s is not pinned in any pypi lockfile", name)
	}
	chains, err := pydeps.Why(ctx, g, entries, name, 100)
	if err != nil {
		return nil, err
	}
	out := make([][]Link, len(chains))
	for i, c := range chains {
		for _, l := range c {
			file, line := lockset.SplitWhere(l.Where)
			out[i] = append(out[i], Link{Name: l.Name, Version: l.Version, Requirement: l.Requirement, File: file, Line: line})
		}
	}
	return out, nil
}

// resolveRequest says what the set asks for: every direct pin, as a
// requirement free to move but preferring its version, with the new specs
// (which win over a direct pin of the same name).
type resolveRequest struct {
	into    *lockset.Target // where new direct pins go
	specs   []Spec
	upgrade []string // names whose pins are not preferred
	// bounds are upgrade specs with a version or range: constraints on
	// the resolution (pydeps.Request.Constraints).
	bounds []Spec
	all    bool // upgrade everything
	prune  bool // remove dependency pins nothing requires
	opts   Options
}

// resolveSet runs the resolver over the set and writes the result into its
// lockfiles (in memory; the caller writes or diffs them).
func resolveSet(ctx context.Context, s *lockset.PySet, rq resolveRequest) ([]Pinned, error) {
	g, err := s.Graph()
	if err != nil {
		return nil, err
	}
	req := pydeps.Request{Prefer: map[string]string{}, Where: map[string]string{}, Pinned: map[string]string{}, IncludePre: rq.opts.IncludePre}
	asked := map[string]bool{}
	for _, sp := range rq.specs {
		asked[pep508.NormalizeName(sp.Name)] = true
	}
	upgrading := map[string]bool{}
	for _, n := range rq.upgrade {
		upgrading[pep508.NormalizeName(n)] = true
	}
	existing := map[string]lockset.Located{}
	for _, l := range s.Entries() {
		n := pep508.NormalizeName(l.Entry.Name)
		if _, dup := existing[n]; dup || !l.Entry.Pinned() {
			continue
		}
		existing[n] = l
		req.Pinned[n] = l.Entry.Version
		if !rq.all && !upgrading[n] && !asked[n] {
			req.Prefer[n] = l.Entry.Version
		}
		req.Where[n] = l.Where()
		if !s.Direct(l.Target, l.Entry) || asked[n] {
			continue
		}
		r, err := entryRequirement(l)
		if err != nil {
			return nil, err
		}
		req.Direct = append(req.Direct, pydeps.Direct{Req: r, Where: l.Where()})
	}
	for _, sp := range rq.bounds {
		spec := sp.Specifiers
		if sp.Version != "" {
			spec = "==" + sp.Version
		}
		c, err := pep440.ParseSpecifiers(spec)
		if err != nil {
			return nil, failure.Usagef("%s%s: %v", sp.Name, spec, err)
		}
		if req.Constraints == nil {
			req.Constraints = map[string]pep440.Specifiers{}
		}
		req.Constraints[pep508.NormalizeName(sp.Name)] = c
	}
	// A project or version the index lacks, or a range nothing on it
	// meets, is said as the index says it, before resolving turns it into
	// a conflict. Asked all at once: each is a round trip.
	eg, ectx := errgroup.WithContext(ctx)
	for _, sp := range rq.bounds {
		eg.Go(func() error {
			_, err := resolve(ectx, rq.into.Source, sp, rq.opts)
			return err
		})
	}
	for _, sp := range rq.specs {
		eg.Go(func() error {
			if sp.Version != "" {
				_, err := rq.into.Source.Release(ectx, sp.Name, sp.Version)
				return err
			}
			_, _, err := rq.into.Source.Versions(ectx, sp.Name)
			return err
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	for _, sp := range rq.specs {
		text := sp.requirement()
		r, err := pep508.ParseRequirement(text)
		if err != nil {
			return nil, failure.Usagef("%s: %w", text, err)
		}
		req.Direct = append(req.Direct, pydeps.Direct{Req: r})
	}
	res, err := pydeps.Resolve(ctx, g, req)
	var conflict *resolver.Conflict
	if errors.As(err, &conflict) && len(rq.bounds) > 0 {
		// The bounds narrow what versions there are, which the chain
		// shows as all the index has: say where they come from.
		var asked []string
		for _, sp := range rq.bounds {
			asked = append(asked, sp.requirement())
		}
		conflict.Chain = append(conflict.Chain, "the upgrade asks for "+strings.Join(asked, ", "))
	}
	if err != nil {
		return nil, err
	}
	return applyResolution(ctx, s, g, rq, req, res, existing)
}

// entryRequirement reads a direct pin as the requirement it stands for:
// its name, extras and marker, any version.
func entryRequirement(l lockset.Located) (pep508.Requirement, error) {
	text := l.Entry.Name + l.Entry.Extras
	if l.Entry.Marker != "" {
		text += " ; " + l.Entry.Marker
	}
	r, err := pep508.ParseRequirement(text)
	if err != nil {
		return r, fmt.Errorf("%s: %w", l.Where(), err)
	}
	return r, nil
}

// applyResolution writes a resolution into the set's files.
func applyResolution(ctx context.Context, s *lockset.PySet, g *pydeps.Graph, rq resolveRequest, req pydeps.Request, res *pydeps.Result, existing map[string]lockset.Located) ([]Pinned, error) {
	depsFile := s.TargetOf(s.Manifest.DependenciesOf(rq.into.Lock))
	if depsFile == nil {
		depsFile = rq.into
	}
	// Every release's files at once, from the file each pin will live in
	// (its narrowing decides which hashes it keeps).
	home := make([]*lockset.Target, len(res.Pins))
	rels := make([]*source.Release, len(res.Pins))
	eg, ectx := errgroup.WithContext(ctx)
	for i, p := range res.Pins {
		l, had := existing[p.Name]
		switch {
		case had && isAsked(rq, p.Name) && !s.Direct(l.Target, l.Entry):
			// A dependency the user now asks for moves to the direct file.
			home[i] = rq.into
		case had:
			home[i] = l.Target
		case p.Direct:
			home[i] = rq.into
		default:
			home[i] = depsFile
		}
		eg.Go(func() error {
			rel, err := home[i].Source.Release(ectx, p.Name, p.Version)
			rels[i] = rel
			return err
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	var out []Pinned
	kept := map[string]bool{}
	for i, p := range res.Pins {
		t := home[i]
		kept[p.Name] = true
		l, had := existing[p.Name]
		movedFrom := ""
		if had && l.Target != t {
			for _, e := range findAllPins(l.Target.File, p.Name, lockfile.Normalizer(source.PyPI)) {
				l.Target.File.Remove(e)
			}
			had, movedFrom = false, l.Target.Lock.Path
		}
		pin := writePin(t, rels[i], Added)
		if movedFrom != "" {
			// Moved from the dependencies file: say so, and say it if the
			// version moved too.
			pin.From = l.Entry.Version
			pin.Kind = classify(source.PyPI, l.Entry.Version, pin.Version, &pin)
			if pin.Kind == Unchanged {
				pin.Kind = Added
			}
			pin.Why = "moved from " + movedFrom
		}
		if had {
			pin.Name = l.Entry.Name
		} else if !p.Direct {
			pin.Kind = Required
		}
		e := findPin(t.File, p.Name, lockfile.Normalizer(source.PyPI))
		if sp, ok := askedSpec(rq, p.Name); ok && sp.Extras != "" {
			t.File.SetExtras(e, sp.Extras)
			pin.Extras = sp.Extras
		}
		noted := false
		if !p.Direct {
			// A dependency carries the marker the resolver derived and a
			// note of what needs it; a direct pin's marker and notes are
			// the user's.
			noted = t.File.SetMarker(e, p.Marker)
			noted = t.File.SetVia(e, p.Via) || noted
		} else if !had {
			t.File.SetMarker(e, p.Marker)
		} else if isAsked(rq, p.Name) && len(e.Via()) > 0 {
			// Asked for by name, a dependency becomes a direct pin: in a
			// lockfile that holds both, that is a pin without a via note.
			t.File.SetVia(e, nil)
			pin.Kind = Added
		}
		synced, lines := syncAsked(t, e, p)
		noted = synced || noted
		pin.Lines = lines
		if noted && (pin.Kind == Unchanged || pin.Kind == Rehashed) {
			pin.Kind = Noted
		}
		if !p.Direct {
			// A direct pin is there because it was asked for, whoever
			// else needs it.
			pin.Via = p.Via
		}
		pin.Marker = p.Marker
		if pin.From != "" && pin.From != pin.Version && req.Prefer[p.Name] != "" {
			pin.Why = moved(ctx, g, res, p.Name, pin.From)
		}
		if pin.Kind != Unchanged || isAsked(rq, p.Name) {
			out = append(out, pin)
		}
	}
	for n, l := range existing {
		if kept[n] || s.Direct(l.Target, l.Entry) || !rq.prune {
			continue
		}
		for _, e := range findAllPins(l.Target.File, n, lockfile.Normalizer(source.PyPI)) {
			l.Target.File.Remove(e)
		}
		out = append(out, Pinned{File: l.Target.Lock.Path, Name: l.Entry.Name, From: l.Entry.Version, Kind: Removed, Why: "nothing requires it any more"})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].File != out[j].File {
			return out[i].File < out[j].File
		}
		return pep508.NormalizeName(out[i].Name) < pep508.NormalizeName(out[j].Name)
	})
	return out, nil
}

// syncAsked keeps one line per way a project is asked for, "lib" and
// "lib[fast]": pip's hash mode treats them as two requirements and wants
// each pinned and hashed (pypa/pip#9644), so one line would leave the
// other to a fresh, unhashed pick. The main entry is one of them; the
// others follow it with its version, hashes and marker. It reports
// whether anything changed, and the lines it added ("requests==2.32.3",
// with " ; marker" when it has one).
func syncAsked(t *lockset.Target, main *lockfile.Entry, p *pydeps.Pin) (changed bool, added []string) {
	want := map[string]pydeps.Ask{}
	for _, a := range p.Asked {
		want[strings.Join(a.Extras, ",")] = a
	}
	have := map[string]bool{extrasKey(main): true}
	last := main
	for _, e := range findAllPins(t.File, p.Name, lockfile.Normalizer(source.PyPI)) {
		if e == main {
			continue
		}
		k := extrasKey(e)
		a, ok := want[k]
		if !ok || have[k] {
			t.File.Remove(e)
			changed = true
			continue
		}
		have[k] = true
		changed = t.File.Update(e, e.Name, main.Version, main.Hashes) || changed
		changed = t.File.SetMarker(e, a.Marker) || changed
		last = e
	}
	for _, a := range p.Asked {
		k := strings.Join(a.Extras, ",")
		if have[k] {
			continue
		}
		have[k] = true
		extras := ""
		if k != "" {
			extras = "[" + k + "]"
		}
		ne := t.File.AddAfter(last, main.Name, extras, main.Version, main.Hashes)
		// A line asks its extras only where it applies: where some
		// requirement asks for them.
		t.File.SetMarker(ne, a.Marker)
		last, changed = ne, true
		line := ne.Spec()
		if ne.Marker != "" {
			line += " ; " + ne.Marker
		}
		added = append(added, line)
	}
	return changed, added
}

// extrasKey is a line's extras ("[Socks, tls]") as Pin.Asked spells them:
// normalized, sorted, comma-joined; "" for none.
func extrasKey(e *lockfile.Entry) string {
	var xs []string
	for _, x := range e.ExtraNames() {
		xs = append(xs, pep508.NormalizeName(x))
	}
	slices.Sort(xs)
	return strings.Join(xs, ",")
}

func isAsked(rq resolveRequest, name string) bool {
	_, ok := askedSpec(rq, name)
	return ok
}

func askedSpec(rq resolveRequest, name string) (Spec, bool) {
	for _, sp := range rq.specs {
		if pep508.NormalizeName(sp.Name) == name {
			return sp, true
		}
	}
	return Spec{}, false
}

// targetsPinning returns the targets that pin name.
func targetsPinning(s *lockset.PySet, name string) []*lockset.Target {
	var out []*lockset.Target
	for _, t := range s.Targets {
		if len(pinnedNames(t, []string{name})) > 0 {
			out = append(out, t)
		}
	}
	return out
}

// directTarget is where new direct pins of an upgrade would go: the first
// lockfile that is not a dependencies file.
func directTarget(s *lockset.PySet) *lockset.Target {
	for _, t := range s.Targets {
		if !s.IsDepsFile(t) {
			return t
		}
	}
	return s.Targets[0]
}

// moved says why a pin left its version: the requirements of the new set
// that rule the old version out.
func moved(ctx context.Context, g *pydeps.Graph, res *pydeps.Result, name, old string) string {
	var why []string
	for _, p := range res.Pins {
		reqs, err := g.Requirements(ctx, p.Name, p.Version)
		if err != nil {
			continue
		}
		for _, r := range reqs {
			if pep508.NormalizeName(r.Name) == name && !r.Specifiers.Contains(old, true) {
				r.Marker = nil
				why = append(why, fmt.Sprintf("%s %s requires %s", p.Name, p.Version, r.String()))
			}
		}
	}
	if len(why) == 0 {
		return ""
	}
	return strings.Join(why, "; ")
}
