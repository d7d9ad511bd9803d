package wheel

import (
	"cmp"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/distbuild/dist/internal/source"
	"github.com/distbuild/dist/internal/wheel/platform"
)

// Libc is the C library a Linux image's Python links against; it decides
// between manylinux and musllinux wheels, which pip never mixes.
type Libc string

// C libraries.
const (
	Glibc Libc = "glibc" // manylinux wheels (Debian, Ubuntu, Fedora, UBI bases)
	Musl  Libc = "musl"  // musllinux wheels (Alpine bases)
)

// Target is the platform and interpreter a wheel must run on.
type Target struct {
	// Platform is an OCI platform: "linux/amd64", "linux/arm64",
	// "linux/arm/v7", "linux/386", "linux/ppc64le", "linux/s390x",
	// "linux/riscv64".
	Platform string
	// Python is the interpreter's "X.Y", e.g. "3.12" (see PythonVersion).
	Python string
	// Implementation is the interpreter's tag prefix, "cp" (CPython) when
	// empty.
	Implementation string
	// ABI is the interpreter's ABI tag; for CPython "cp312" when empty
	// ("cp37m" before 3.8). Set "cp313t" for a free-threaded build, which
	// loads abi3t wheels and not abi3 ones, or "pypy310_pp73" for PyPy.
	ABI string
	// Libc is Glibc when empty. dist cannot look inside the base image to
	// tell, so an Alpine base must say Musl.
	Libc Libc
	// LibcVersion is the base image's newest glibc ("2.36") or musl
	// ("1.2") version, refusing wheels that need a newer one. When empty,
	// every version is accepted and the newest preferred, as pip does on a
	// system with a libc newer than every wheel.
	LibcVersion string
}

func (t Target) String() string {
	impl := "CPython"
	if t.Implementation != "" && t.Implementation != "cp" {
		impl = t.Implementation
	}
	libc := t.Libc
	if libc == "" {
		libc = Glibc
	}
	s := fmt.Sprintf("%s (%s %s, %s", t.Platform, impl, t.Python, libc)
	if t.LibcVersion != "" {
		s += " " + t.LibcVersion
	}
	return s + ")"
}

// Select returns the best of files for target in pip's order of preference
// (packaging.tags.sys_tags: the interpreter's own ABI first, then abi3, then
// pure Python; newest manylinux first), a higher build tag breaking ties.
// Only files whose hash the pin lists are considered, so a caller can pass
// every artifact of a release. Sdists are never chosen: when no locked
// wheel fits, the *Error (ErrNoWheel) names the pin, the platform and each
// file with why it was passed over, and the way out: a wheel built with
// pip wheel in the lockfile's wheelhouse.
func Select(pin Pin, files []source.Artifact, target Target) (source.Artifact, error) {
	r, err := newRanker(target)
	if err != nil {
		return source.Artifact{}, err
	}
	locked := pin.sha256s()
	if len(locked) == 0 {
		return source.Artifact{}, &Error{Pin: pin, Kind: ErrNoWheel, Msg: "the lockfile lists no sha256 hash for it, so no file can be verified"}
	}
	var (
		best     source.Artifact
		bestRank rank
		bestName Filename
		found    bool
		why      []string
	)
	for _, a := range files {
		algo, hex, _ := strings.Cut(a.Hash, ":")
		if !strings.EqualFold(algo, "sha256") || !locked[strings.ToLower(hex)] {
			why = append(why, a.Filename+" (not locked)")
			continue
		}
		if !strings.HasSuffix(a.Filename, ".whl") {
			why = append(why, a.Filename+" (sdist)")
			continue
		}
		fn, err := ParseFilename(a.Filename)
		if err != nil {
			why = append(why, a.Filename+" (unreadable filename)")
			continue
		}
		rk, ok := r.best(fn)
		if !ok {
			why = append(why, a.Filename+" (other platform or Python)")
			continue
		}
		if !found || better(rk, fn, a.Filename, bestRank, bestName, best.Filename) {
			best, bestRank, bestName, found = a, rk, fn, true
		}
	}
	if !found {
		msg := fmt.Sprintf("no wheel for %s", target)
		if len(why) > maxListed {
			why = append(why[:maxListed], fmt.Sprintf("and %d more", len(why)-maxListed))
		}
		if len(why) > 0 {
			msg += " among its locked files: " + strings.Join(why, ", ")
		} else {
			msg += ": it has no files"
		}
		msg += "; dist installs wheels only and never builds sdists; build one with `pip wheel` and put it in the lockfile's wheelhouse: folder (dist.yaml)"
		return source.Artifact{}, &Error{Pin: pin, Kind: ErrNoWheel, Msg: msg}
	}
	return best, nil
}

// maxListed bounds the files an error lists: a release of a compiled
// project can have dozens.
const maxListed = 12

func better(r rank, f Filename, name string, br rank, bf Filename, bname string) bool {
	if c := r.compare(br); c != 0 {
		return c < 0
	}
	n, rest := buildKey(f.Build)
	bn, brest := buildKey(bf.Build)
	if c := cmp.Or(cmp.Compare(n, bn), cmp.Compare(rest, brest)); c != 0 {
		return c > 0
	}
	// Same tags and build: any choice is right, the same one every time.
	return name < bname
}

// rank is a tag's place in pip's preference order, lower first: group is
// the python-abi pair's place, plat the platform's within it.
type rank struct{ group, plat int }

func (a rank) compare(b rank) int {
	return cmp.Or(cmp.Compare(a.group, b.group), cmp.Compare(a.plat, b.plat))
}

// ranker places tags in the order packaging.tags.sys_tags yields them for a
// target, without listing them: manylinux versions have no upper bound
// unless the target gives one.
type ranker struct {
	groups    map[string]int // "python-abi" of platform-specific tags
	anyGroups map[string]int // python tag of "-none-any" tags
	nGroups   int
	arch      string
	libc      Libc
	// libcMax bounds the libc versions accepted; unbounded when libcMax[0]
	// is 0.
	libcMax [2]int
}

var (
	pythonXY = regexp.MustCompile(`^(\d+)\.(\d+)(?:\.\d+)?$`)
	libcXY   = regexp.MustCompile(`^(\d+)\.(\d+)(?:\.\d+)?$`)
)

// archOf maps an OCI architecture (and variant) to the machine name wheel
// platform tags use.
func archOf(arch, variant string) (string, bool) {
	switch arch {
	case "amd64":
		return "x86_64", true
	case "arm64":
		return "aarch64", true
	case "386":
		return "i686", true
	case "arm":
		switch variant {
		case "v7", "":
			return "armv7l", true
		case "v6":
			return "armv6l", true
		}
	case "ppc64le", "s390x", "riscv64":
		return arch, true
	}
	return "", false
}

func newRanker(t Target) (*ranker, error) {
	osName, rest, _ := strings.Cut(t.Platform, "/")
	arch, variant, _ := strings.Cut(rest, "/")
	if osName != "linux" {
		return nil, fmt.Errorf("wheel: platform %q: dist builds linux images only", t.Platform)
	}
	machine, ok := archOf(arch, variant)
	if !ok {
		return nil, fmt.Errorf("wheel: platform %q: unknown architecture", t.Platform)
	}
	m := pythonXY.FindStringSubmatch(t.Python)
	if m == nil {
		return nil, fmt.Errorf("wheel: python version %q: want X.Y, e.g. 3.12", t.Python)
	}
	major, _ := strconv.Atoi(m[1])
	minor, err := strconv.Atoi(m[2])
	if err != nil || minor > 1000 {
		return nil, fmt.Errorf("wheel: python version %q: want X.Y, e.g. 3.12", t.Python)
	}
	r := &ranker{groups: map[string]int{}, anyGroups: map[string]int{}, arch: machine, libc: t.Libc}
	switch r.libc {
	case "":
		r.libc = Glibc
	case Glibc, Musl:
	default:
		return nil, fmt.Errorf("wheel: libc %q: want %q or %q", t.Libc, Glibc, Musl)
	}
	if t.LibcVersion != "" {
		lm := libcXY.FindStringSubmatch(t.LibcVersion)
		if lm == nil {
			return nil, fmt.Errorf("wheel: libc version %q: want X.Y, e.g. 2.36", t.LibcVersion)
		}
		r.libcMax[0], _ = strconv.Atoi(lm[1])
		r.libcMax[1], _ = strconv.Atoi(lm[2])
		if r.libcMax[0] == 0 || r.libcMax[0] > 1000 || r.libcMax[1] > 100000 {
			return nil, fmt.Errorf("wheel: libc version %q: want X.Y, e.g. 2.36", t.LibcVersion)
		}
	}

	xy := fmt.Sprintf("%d%d", major, minor)
	impl := cmp.Or(strings.ToLower(t.Implementation), "cp")
	interp := impl + xy
	abi := strings.ToLower(t.ABI)
	if abi == "" && impl == "cp" {
		abi = "cp" + xy
		if major == 3 && minor < 8 {
			abi += "m"
		}
	}
	add := func(py, abi string) {
		if _, dup := r.groups[py+"-"+abi]; !dup {
			r.groups[py+"-"+abi] = r.nGroups
			r.nGroups++
		}
	}
	// The order below is packaging's cpython_tags (or generic_tags) then
	// compatible_tags.
	if abi != "" {
		add(interp, abi)
	}
	// The stable ABI: abi3, or for a free-threaded build abi3t (PEP 803),
	// which newer packaging lists in abi3's place.
	stable := ""
	if impl == "cp" && (major > 3 || major == 3 && minor >= 2) {
		stable = "abi3"
		if strings.HasSuffix(abi, "t") {
			stable = "abi3t"
		}
		add(interp, stable)
	}
	add(interp, "none")
	if stable != "" {
		for v := minor - 1; v >= 2; v-- {
			add(fmt.Sprintf("cp%d%d", major, v), stable)
		}
	}
	pys := []string{"py" + xy, fmt.Sprintf("py%d", major)}
	for v := minor - 1; v >= 0; v-- {
		pys = append(pys, fmt.Sprintf("py%d%d", major, v))
	}
	for _, py := range pys {
		add(py, "none")
	}
	r.anyGroups[interp] = r.nGroups
	for i, py := range pys {
		r.anyGroups[py] = r.nGroups + 1 + i
	}
	return r, nil
}

// best returns the rank of the best of a wheel's tags.
func (r *ranker) best(f Filename) (rank, bool) {
	var best rank
	found := false
	for _, t := range f.Tags() {
		if rk, ok := r.rank(t); ok && (!found || rk.compare(best) < 0) {
			best, found = rk, true
		}
	}
	return best, found
}

func (r *ranker) rank(t Tag) (rank, bool) {
	if t.Platform == "any" {
		g, ok := r.anyGroups[t.Python]
		return rank{g, 0}, ok && t.ABI == "none"
	}
	g, ok := r.groups[t.Python+"-"+t.ABI]
	if !ok {
		return rank{}, false
	}
	p, ok := r.platform(t.Platform)
	return rank{g, p}, ok
}

// platform ranks a platform tag: newer libc first, then the plain
// linux_<arch> tag, which pip accepts last.
func (r *ranker) platform(p string) (int, bool) {
	// Ranks count down from the newest version accepted; with no bound,
	// from far above any real one.
	top := 1 << 30
	if r.libcMax[0] != 0 {
		top = r.libcMax[1]
	}
	if p == "linux_"+r.arch {
		return top + 1, true
	}
	l, ok := platform.ParseLinux(p)
	if !ok || l.Arch != r.arch || l.Minor > 1<<29 {
		return 0, false
	}
	family, major, minor := l.Family, l.Major, l.Minor
	switch {
	case family == "manylinux" && r.libc == Glibc && major == 2:
		// pip lists no manylinux tag older than the first glibc with
		// wheels for the architecture.
		oldest := 17
		if r.arch == "x86_64" || r.arch == "i686" {
			oldest = 5
		}
		if minor < oldest {
			return 0, false
		}
	case family == "musllinux" && r.libc == Musl && major == 1:
	default:
		return 0, false
	}
	if r.libcMax[0] != 0 && (major > r.libcMax[0] || major == r.libcMax[0] && minor > r.libcMax[1]) {
		return 0, false
	}
	return top - minor, true
}
