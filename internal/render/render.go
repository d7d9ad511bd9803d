// Package render turns the configs: templates of dist.yaml into the example
// configuration files a distribution commits, writes them, and checks the
// committed ones against a fresh render (the CI drift check).
//
// Templates are Go text/template with sprig's functions, minus those whose
// result depends on the clock, the environment, the network or chance: a
// render must give the same bytes on every machine, or the drift check
// would fail on its own. Keys missing from .Vars or .Pins are errors rather
// than "<no value>", so a typo cannot ship as a setting.
package render

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"

	"github.com/distbuild/dist/internal/configdiff"
	"github.com/distbuild/dist/internal/fileerr"
	"github.com/distbuild/dist/internal/manifest"
)

// Output is one rendered config.
type Output struct {
	Template string // as in dist.yaml, slash-separated
	Path     string // the output, as in dist.yaml, slash-separated
	File     string // the output on disk
	Content  []byte
	// Format is configs[].format, else the one the output's extension
	// names (configdiff.For).
	Format configdiff.Format
	// Settings is Content parsed in Format; nil for format none.
	Settings configdiff.Config
}

// Render renders every configs: entry of m with vars (from --set) over the
// manifest's vars:. It writes nothing: an error in the last template leaves
// every output as it was.
func Render(m *manifest.Manifest, vars map[string]string) ([]Output, error) {
	d, err := NewData(m, vars)
	if err != nil {
		return nil, err
	}
	return render(m, d)
}

// RenderVersion renders as Render does, with .Version set to version
// rather than read from the VERSION file: the outputs as they will be once
// VERSION says version. prerelease and postrelease render with the version
// they are about to write, so that the commit that changes VERSION carries
// the configs that go with it.
func RenderVersion(m *manifest.Manifest, vars map[string]string, version string) ([]Output, error) {
	d, err := NewData(m, vars)
	if err != nil {
		return nil, err
	}
	d.Version = version
	return render(m, d)
}

func render(m *manifest.Manifest, d *Data) ([]Output, error) {
	var outs []Output
	seen := map[string]int{}
	for _, c := range m.Configs {
		out := slash(c.Output)
		if first, dup := seen[out]; dup {
			return nil, &fileerr.Error{Path: m.Path, Line: c.Line, Msg: fmt.Sprintf("%s is already the output of the config at line %d", out, first)}
		}
		seen[out] = c.Line
		name := slash(c.Template)
		text, err := m.ReadFileKey("config template", c.Template)
		if fe := (*fileerr.Error)(nil); errors.As(err, &fe) {
			return nil, err
		}
		if err != nil {
			return nil, fileerr.Wrap(m.Path, c.Line, fmt.Errorf("template %s: %w", name, unwrapPath(err)))
		}
		content, err := Execute(name, text, d)
		if err != nil {
			return nil, err
		}
		// Written through a link inside the repository, refused through
		// one that leads out of it.
		if _, err := m.ResolveKey("config output", c.Output); err != nil {
			return nil, err
		}
		o := Output{Template: name, Path: out, File: m.Abs(c.Output), Content: content, Format: configdiff.For(c.Format, c.Output)}
		// A render that its own format cannot read would fail the next
		// dist plan: it is refused here, before anything is written.
		// Format none is rendered and not read.
		o.Settings, err = configdiff.ParseFormat(o.Format, out, content)
		if err != nil {
			var pe *fileerr.Error
			if errors.As(err, &pe) {
				return nil, &fileerr.Error{Path: out, Line: pe.Line, Msg: fmt.Sprintf("%s (rendered from %s, not written)", pe.Msg, name)}
			}
			return nil, err
		}
		outs = append(outs, o)
	}
	return outs, nil
}

// Execute renders one template; name is its repository-relative path, shown
// in errors.
func Execute(name string, text []byte, d *Data) ([]byte, error) {
	t, err := template.New(name).Option("missingkey=error").Funcs(Funcs(d)).Parse(string(text))
	if err != nil {
		return nil, templateError(name, err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, d); err != nil {
		return nil, templateError(name, err)
	}
	return b.Bytes(), nil
}

// text/template reports "template: NAME:LINE:COL: executing "NAME" at
// <.Vars.x>: map has no entry for key "x"" (parse errors have no column).
// The template's own name is known, so it is cut off by prefix rather than
// by a pattern that a colon in a path would confuse.
var tmplPos = regexp.MustCompile(`^(\d+)(?::\d+)?: (.*)$`)

// executing "NAME" repeats the file name the error already leads with.
var tmplExecuting = regexp.MustCompile(`^executing "[^"]*" at `)

func templateError(name string, err error) error {
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "template: "+name+":"); ok {
		if m := tmplPos.FindStringSubmatch(rest); m != nil {
			line, _ := strconv.Atoi(m[1])
			return &fileerr.Error{Path: name, Line: line, Msg: tmplExecuting.ReplaceAllString(m[2], "at ")}
		}
	}
	return &fileerr.Error{Path: name, Msg: strings.TrimPrefix(msg, "template: ")}
}

// unrepeatable are sprig functions a template cannot call: each gives a
// different result from run to run or machine to machine. sprig's own
// hermetic list leaves some of them in.
var unrepeatable = []string{
	"now", "ago", "date", "date_in_zone", "dateInZone", "date_modify", "dateModify",
	"htmlDate", "htmlDateInZone",
	"env", "expandenv", "getHostByName",
	"randAlphaNum", "randAlpha", "randAscii", "randNumeric", "randBytes", "randInt",
	"uuidv4", "shuffle",
	"bcrypt", "htpasswd", "encryptAES",
	"genPrivateKey", "genCA", "genCAWithKey", "genSelfSignedCert",
	"genSelfSignedCertWithKey", "genSignedCert", "genSignedCertWithKey",
}

// Funcs returns the functions templates may call: sprig's, those in
// unrepeatable replaced by functions that fail with the reason, and
// pin NAME, the pinned version of NAME or an error naming what is pinned.
func Funcs(d *Data) template.FuncMap {
	fm := sprig.TxtFuncMap()
	for _, name := range unrepeatable {
		// A stub rather than a deletion: "function not defined" would
		// read like a typo.
		fm[name] = func(...any) (string, error) {
			return "", fmt.Errorf("%s is not available: a rendered config must come out the same on every run (set the value in vars: or with --set)", name)
		}
	}
	fm["pin"] = func(name string) (string, error) {
		if v, ok := d.lookupPin(name); ok {
			return v, nil
		}
		return "", fmt.Errorf("%q is not pinned in any lockfile (%s)", name, d.pinNames())
	}
	return fm
}
