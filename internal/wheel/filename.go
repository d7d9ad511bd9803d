package wheel

import (
	"fmt"
	"strings"
	"unicode"
)

// Filename is what a wheel's filename says (PEP 427):
// {name}-{version}(-{build})?-{python}-{abi}-{platform}.whl.
type Filename struct {
	// Name is the project name as escaped in the filename ("zope_interface").
	Name    string
	Version string
	// Build is the optional build tag, which starts with a digit; "" when
	// there is none.
	Build string
	// Python, ABI and Platform are the tag sets, lower-cased, compressed
	// sets ("py2.py3") split.
	Python, ABI, Platform []string
}

// Tag is one compatibility tag, "cp312-abi3-manylinux_2_17_x86_64".
type Tag struct {
	Python, ABI, Platform string
}

func (t Tag) String() string { return t.Python + "-" + t.ABI + "-" + t.Platform }

// ParseFilename reads a wheel filename, without any directory.
func ParseFilename(filename string) (Filename, error) {
	stem, ok := strings.CutSuffix(filename, ".whl")
	if !ok {
		return Filename{}, fmt.Errorf("%q is not a wheel filename: it does not end in .whl", filename)
	}
	parts := strings.Split(stem, "-")
	if len(parts) != 5 && len(parts) != 6 {
		return Filename{}, fmt.Errorf("wheel filename %q: want name-version[-build]-python-abi-platform.whl", filename)
	}
	var f Filename
	f.Name, f.Version = parts[0], parts[1]
	if f.Name == "" || !allRunes(f.Name, isNameRune) {
		return Filename{}, fmt.Errorf("wheel filename %q: bad project name %q", filename, f.Name)
	}
	// '!' and '+' are PEP 440's epoch and local-version separators; '-'
	// cannot appear, it separates the parts.
	if f.Version == "" || !allRunes(f.Version, func(r rune) bool { return isTagRune(r) || r == '.' || r == '!' || r == '+' }) {
		return Filename{}, fmt.Errorf("wheel filename %q: bad version %q", filename, f.Version)
	}
	if len(parts) == 6 {
		f.Build = parts[2]
		if f.Build == "" || f.Build[0] < '0' || f.Build[0] > '9' || !allRunes(f.Build, func(r rune) bool { return isTagRune(r) || r == '.' }) {
			return Filename{}, fmt.Errorf("wheel filename %q: build tag %q must start with a digit", filename, f.Build)
		}
	}
	n := len(parts)
	for i, dst := range []*[]string{&f.Python, &f.ABI, &f.Platform} {
		set := parts[n-3+i]
		for _, tag := range strings.Split(strings.ToLower(set), ".") {
			if tag == "" || !allRunes(tag, isTagRune) {
				return Filename{}, fmt.Errorf("wheel filename %q: bad tag set %q", filename, set)
			}
			*dst = append(*dst, tag)
		}
	}
	return f, nil
}

// String gives the filename back, with tags lower-cased.
func (f Filename) String() string {
	s := f.Name + "-" + f.Version
	if f.Build != "" {
		s += "-" + f.Build
	}
	return s + "-" + strings.Join(f.Python, ".") + "-" + strings.Join(f.ABI, ".") + "-" + strings.Join(f.Platform, ".") + ".whl"
}

// Tags expands the compressed tag sets into every tag the wheel claims.
func (f Filename) Tags() []Tag {
	var out []Tag
	for _, py := range f.Python {
		for _, abi := range f.ABI {
			for _, plat := range f.Platform {
				out = append(out, Tag{py, abi, plat})
			}
		}
	}
	return out
}

// buildKey orders build tags as pip does: by the leading number, then by
// the rest as a string.
func buildKey(b string) (int, string) {
	i := 0
	n := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		if n < 1<<30 {
			n = n*10 + int(b[i]-'0')
		}
		i++
	}
	return n, b[i:]
}

func allRunes(s string, ok func(rune) bool) bool {
	for _, r := range s {
		if !ok(r) {
			return false
		}
	}
	return true
}

// Escaped project names keep letters, digits, '_' and '.'; Unicode letters
// are allowed, as packaging allows them.
func isNameRune(r rune) bool {
	return r == '_' || r == '.' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

func isTagRune(r rune) bool {
	return r == '_' || r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r))
}
