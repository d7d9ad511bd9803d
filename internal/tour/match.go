package tour

import (
	"regexp"
	"slices"
	"strings"
)

// Ellipsis is an output line that stands for any number of lines.
const Ellipsis = "..."

// normalizers turn what changes from run to run, or from machine to
// machine, into placeholders. Order matters: dates before hex runs (a
// time's digits), hashes before sizes.
var normalizers = []struct {
	re   *regexp.Regexp
	repl string
}{
	// Go module hashes (h1: is base64 of a sha256).
	{regexp.MustCompile(`h1:[A-Za-z0-9+/]{43}=`), "h1:<hash>"},
	// RFC 3339 times and plain dates: commit times, changelog dates.
	{regexp.MustCompile(`\b\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?`), "<date>"},
	// Digests and commits, whole or abbreviated (git's 7, dist's 12).
	{regexp.MustCompile(`\b[0-9a-f]{7,}\b`), "<hex>"},
	// Ports of loopback servers.
	{regexp.MustCompile(`\b(127\.0\.0\.1|localhost|\[::1\]):\d+\b`), "$1:<port>"},
	// Go durations: 1.5s, 340ms, 2m44s.
	{regexp.MustCompile(`\b\d+(\.\d+)?(ns|µs|us|ms|s|m|h)(\d+(\.\d+)?(ns|µs|us|ms|s|m|h))*\b`), "<duration>"},
	// Sizes, which follow the Go toolchain for a Go server's binary.
	{regexp.MustCompile(`\b\d+(\.\d+)? ?(B|KiB|MiB|GiB|kB|KB|MB|GB|bytes)\b`), "<size>"},
	{regexp.MustCompile(`("\w*bytes":\s*)\d+`), "${1}<size>"},
}

// Normalize returns line with what legitimately varies between runs
// replaced by placeholders: hashes and digests (<hex>, h1:<hash>), dates
// and times (<date>), loopback ports (<port>), durations (<duration>) and
// sizes (<size>). Trailing blanks are dropped.
func Normalize(line string) string {
	line = strings.TrimRight(line, " \t")
	for _, n := range normalizers {
		line = n.re.ReplaceAllString(line, n.repl)
	}
	return line
}

// Match reports whether got matches want, line by line after Normalize,
// where a want line that is only "..." (indentation aside) matches any
// number of got lines. It also returns got with want's elisions: each
// "..." line of want kept in place of the lines it stood for, every other
// line as got has it; nil when they do not match.
func Match(want, got []string) (bool, []string) {
	nw := make([]string, len(want))
	for i, w := range want {
		nw[i] = Normalize(w)
	}
	ng := make([]string, len(got))
	for i, g := range got {
		ng[i] = Normalize(g)
	}
	// ok[i][j]: want[i:] matches got[j:]; filled from the end.
	ok := make([][]bool, len(want)+1)
	for i := range ok {
		ok[i] = make([]bool, len(got)+1)
	}
	ok[len(want)][len(got)] = true
	for i := len(want) - 1; i >= 0; i-- {
		ell := strings.TrimSpace(want[i]) == Ellipsis
		for j := len(got); j >= 0; j-- {
			switch {
			case ell:
				ok[i][j] = ok[i+1][j] || (j < len(got) && ok[i][j+1])
			case j < len(got):
				ok[i][j] = nw[i] == ng[j] && ok[i+1][j+1]
			}
		}
	}
	if !ok[0][0] {
		return false, nil
	}
	var merged []string
	i, j := 0, 0
	for i < len(want) {
		if strings.TrimSpace(want[i]) == Ellipsis {
			merged = append(merged, want[i])
			// Take as few lines as the rest allows.
			for !ok[i+1][j] {
				j++
			}
			i++
			continue
		}
		merged = append(merged, strings.TrimRight(got[j], " \t"))
		i, j = i+1, j+1
	}
	return true, merged
}

// Alias pairs a text a file shows (127.0.0.1:8765, ~) with the one a run
// really has (a free port, a temporary directory).
type Alias struct{ Shown, Real string }

// Aliases translate commands from the file's terms to the run's, and
// outputs back.
type Aliases []Alias

// ToReal replaces every Shown text in s with its Real one.
func (as Aliases) ToReal(s string) string { return as.replace(s, true) }

// ToShown replaces every Real text in s with its Shown one.
func (as Aliases) ToShown(s string) string { return as.replace(s, false) }

func (as Aliases) replace(s string, toReal bool) string {
	// Longest first, so that a path is replaced before a prefix of it.
	sorted := slices.Clone(as)
	key := func(a Alias) string {
		if toReal {
			return a.Shown
		}
		return a.Real
	}
	slices.SortStableFunc(sorted, func(a, b Alias) int { return len(key(b)) - len(key(a)) })
	var pairs []string
	for _, a := range sorted {
		if toReal {
			pairs = append(pairs, a.Shown, a.Real)
		} else {
			pairs = append(pairs, a.Real, a.Shown)
		}
	}
	return strings.NewReplacer(pairs...).Replace(s)
}
