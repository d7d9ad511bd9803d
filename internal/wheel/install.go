package wheel

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/distbuild/dist/internal/image/tarlayer"
	"github.com/distbuild/dist/internal/pep508"
)

// Layout says where a wheel's files go in the image. Paths are absolute
// in-image paths, slash-separated and clean.
type Layout struct {
	// SitePackages receives the wheel's root (purelib or platlib, whatever
	// Root-Is-Purelib says) and .data/purelib and .data/platlib:
	// image.python.site_packages.
	SitePackages string
	// Interpreter is image.python.interpreter: the shebang of scripts. Its
	// directory receives .data/scripts and the console and GUI scripts.
	// For Debian's /usr/bin/python3 (with site_packages
	// /usr/lib/python3/dist-packages) that is /usr/bin and prefix /usr,
	// Debian's own deb_system scheme: pip run as root there would pick
	// /usr/local instead, but whoever names dist-packages asks for the
	// system's layout, and /usr/bin is where that interpreter looks.
	Interpreter string
	// Python is the interpreter's version ("3.12", "3.12.7"), for Include
	// when neither SitePackages nor Interpreter spells "X.Y", as Debian's
	// paths do not.
	Python string
	// Prefix receives .data/data, as sys.prefix does with pip
	// ("share/man/x.1" lands in Prefix/share/man/x.1). When empty, the
	// parent of the interpreter's directory: /usr/local for
	// /usr/local/bin/python3.12.
	Prefix string
	// Include receives .data/headers, under a directory named after the
	// pin, as pip's headers scheme does. When empty,
	// Prefix/include/pythonX.Y, X.Y from Python, else read from
	// SitePackages or Interpreter (see PythonVersion); a wheel with headers
	// is an error if none says.
	Include string
}

func (l Layout) resolve() (Layout, error) {
	check := func(field, p string) error {
		if !strings.HasPrefix(p, "/") || path.Clean(p) != p {
			return fmt.Errorf("wheel: layout: %s %q is not a clean absolute path", field, p)
		}
		return nil
	}
	if err := check("SitePackages", l.SitePackages); err != nil {
		return l, err
	}
	if err := check("Interpreter", l.Interpreter); err != nil {
		return l, err
	}
	// The interpreter ends up in "#!" lines, which end at white space.
	if strings.IndexFunc(l.Interpreter, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0 {
		return l, fmt.Errorf("wheel: layout: interpreter %q cannot be a shebang: it holds white space or control characters", l.Interpreter)
	}
	if l.Interpreter == "/" {
		return l, errors.New("wheel: layout: the interpreter is /")
	}
	if l.Prefix == "" {
		l.Prefix = path.Dir(path.Dir(l.Interpreter))
	} else if err := check("Prefix", l.Prefix); err != nil {
		return l, err
	}
	if l.Include == "" {
		v, ok := MajorMinor(l.Python)
		if !ok {
			v, ok = PythonVersion(l.SitePackages, l.Interpreter)
		}
		if ok {
			l.Include = path.Join(l.Prefix, "include", "python"+v)
		}
	} else if err := check("Include", l.Include); err != nil {
		return l, err
	}
	return l, nil
}

// validName is PEP 508's project name; a pin names the headers directory.
var validName = regexp.MustCompile(`(?i)^([a-z0-9]|[a-z0-9][a-z0-9._-]*[a-z0-9])$`)

// InstallFile unpacks the wheel at file (as fetch.Download leaves it) for
// pin, laid out for an image, and returns its files sorted by path; the
// same input gives the same output.
//
// The wheel's bytes are first checked against the pin's sha256 hashes;
// nothing is parsed before. Then, as the binary distribution format says:
//   - members are refused if absolute or if a ".." would take them out of
//     their directory (ErrUnsafePath);
//   - the wheel's RECORD hashes and sizes are checked against its members;
//   - the root and .data/{purelib,platlib} go to Layout.SitePackages,
//     .data/scripts to the interpreter's directory with a "#!python" first
//     line (pythonw, python3 too, as pip does) replaced by
//     "#!<Layout.Interpreter>", .data/headers to Layout.Include/<name>,
//     .data/data to Layout.Prefix;
//   - console_scripts and gui_scripts get pip's wrapper scripts in the
//     interpreter's directory, and a .data/scripts file of the same name (a
//     setuptools wrapper) is left out, as pip leaves it;
//   - .dist-info/INSTALLER says "dist", RECORD is rewritten with the
//     sha256 and size of every installed file, and neither REQUESTED nor
//     direct_url.json is written.
//
// Two members (or a member and a generated file) for one path are an error
// rather than a silent last-wins. Scripts are 0755, as are members whose
// zip mode has an exec bit; other files 0644. A symlink member becomes a
// file holding its target, as with pip, so nothing installed points
// outside the layer. Directories are not returned: their modes are the
// layer's business. No bytecode is compiled, since no Python runs.
//
// Nothing is held in memory that the wheel holds: the wheel is hashed and
// its members checked as streams, and a member installed unchanged comes
// back as a File with no Data whose Open reads it from the wheel again
// when the layer is written (see File). Only what the install writes
// itself (RECORD, INSTALLER, wrapper scripts, scripts whose "#!python"
// line is replaced) is held in memory. The file must stay in place until
// the returned files have been read.
func InstallFile(file string, pin Pin, layout Layout) ([]File, error) {
	if abs, err := filepath.Abs(file); err == nil {
		file = abs
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", pin, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", pin, err)
	}
	return install(&archive{r: f, size: st.Size(), path: file}, pin, layout)
}

// archive is a wheel's bytes: a file, reopened by each installed member's
// Open, or bytes in memory (the tests' installBytes).
type archive struct {
	r    io.ReaderAt
	size int64
	// path is the wheel file; "" when r is bytes in memory.
	path string
}

func install(a *archive, pin Pin, layout Layout) ([]File, error) {
	l, err := layout.resolve()
	if err != nil {
		return nil, err
	}
	if !validName.MatchString(pin.Name) {
		return nil, fmt.Errorf("wheel: pin %q: not a valid project name", pin.String())
	}
	locked := pin.sha256s()
	if len(locked) == 0 {
		return nil, &Error{Pin: pin, Kind: ErrHashMismatch, Msg: "the lockfile lists no sha256 hash for it, so the wheel cannot be verified"}
	}
	wh := sha256.New()
	if _, err := io.Copy(wh, io.NewSectionReader(a.r, 0, a.size)); err != nil {
		return nil, fmt.Errorf("%s: %w", pin, err)
	}
	if got := hex.EncodeToString(wh.Sum(nil)); !locked[got] {
		return nil, &Error{Pin: pin, Kind: ErrHashMismatch, Msg: fmt.Sprintf("the wheel's bytes hash to sha256:%s, which the lockfile does not pin (it pins %s)", got, strings.Join(pin.Hashes, ", "))}
	}
	zr, err := zip.NewReader(a.r, a.size)
	// ErrInsecurePath comes with a usable reader; the names are judged
	// below, with a message that names the pin.
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, &Error{Pin: pin, Kind: ErrInvalidWheel, Msg: fmt.Sprintf("not a zip archive: %v", err)}
	}
	in := &installer{pin: pin, layout: l, arc: a, out: map[string]*File{}, from: map[string]string{}}
	if err := in.read(zr, a.size); err != nil {
		return nil, err
	}
	return in.install()
}

// member is one file of the wheel, read once to check it; only the
// metadata the install reads (see isMetadata) is kept in data.
type member struct {
	name string // clean
	f    *zip.File
	exec bool
	size int64
	// sum is the member's sha256.
	sum [sha256.Size]byte
	// shebang says the member starts with "#!python", which a script's
	// install replaces.
	shebang bool
	data    []byte
}

// isMetadata says whether the install reads the member named name: a
// .dist-info directory's RECORD, WHEEL or entry_points.txt.
func isMetadata(name string) bool {
	dir, file, ok := strings.Cut(name, "/")
	if !ok || !strings.HasSuffix(dir, ".dist-info") {
		return false
	}
	switch file {
	case "RECORD", "WHEEL", "entry_points.txt":
		return true
	}
	return false
}

type installer struct {
	pin     Pin
	layout  Layout
	arc     *archive
	members []member
	byName  map[string]*member
	out     map[string]*File
	from    map[string]string // installed path -> what it was made from
}

func (in *installer) fail(kind error, format string, args ...any) error {
	return &Error{Pin: in.pin, Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// unsafeName says why a member name could write outside the directory it
// is unpacked into, or "".
func unsafeName(name string) string {
	switch {
	case name == "":
		return "an empty name"
	case strings.HasPrefix(name, "/"):
		return "an absolute path"
	case strings.ContainsAny(name, "\\\x00"):
		// A backslash is a separator to Windows-made archives and to
		// whoever unpacks the layer there; neither belongs in a name.
		return "a backslash or NUL"
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return "a \"..\" that leaves its directory"
		}
	}
	return ""
}

// whiteoutPart is the first component of a slash-separated path that an
// image layer reads as a whiteout (".wh.NAME" deletes NAME from the base
// image, ".wh..wh..opq" hides its whole directory), or "". pip would
// install such a member as a plain file; in a layer it is not one.
func whiteoutPart(p string) string {
	for _, part := range strings.Split(p, "/") {
		if strings.HasPrefix(part, tarlayer.WhiteoutPrefix) {
			return part
		}
	}
	return ""
}

// Bounds on what one wheel may unpack to, checked against the zip's
// declared sizes before anything is decompressed and against the bytes as
// they are read. They are generous (the largest wheels on PyPI are a few
// GiB unpacked); tests lower them.
var (
	// MaxMemberSize is the most one member may hold uncompressed.
	MaxMemberSize int64 = 2 << 30
	// MaxTotalSize is the most all of a wheel's members may hold
	// uncompressed, together.
	MaxTotalSize int64 = 4 << 30
)

func (in *installer) read(zr *zip.Reader, size int64) error {
	for _, f := range zr.File {
		if why := unsafeName(f.Name); why != "" {
			return in.fail(ErrUnsafePath, "member %q has %s; refusing to install it", f.Name, why)
		}
		if part := whiteoutPart(f.Name); part != "" {
			return in.fail(ErrUnsafePath, "member %q: %q is a whiteout name, which an image layer reads as an order to delete or hide the base image's files; refusing to install it", f.Name, part)
		}
	}
	if err := in.checkLayout(zr, size); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") {
			continue
		}
		name := path.Clean(f.Name)
		if name == "." {
			return in.fail(ErrInvalidWheel, "member %q has no file name", f.Name)
		}
		if seen[name] {
			return in.fail(ErrInvalidWheel, "member %s appears twice", name)
		}
		seen[name] = true
		m, err := scanMember(f, isMetadata(name))
		if err != nil {
			return in.fail(ErrInvalidWheel, "member %s: %v", name, err)
		}
		// As pip judges it: a regular file with any exec bit.
		mode := f.ExternalAttrs >> 16
		m.name, m.f = name, f
		m.exec = mode&0o170000 == 0o100000 && mode&0o111 != 0
		in.members = append(in.members, m)
	}
	in.byName = make(map[string]*member, len(in.members))
	for i := range in.members {
		in.byName[in.members[i].name] = &in.members[i]
	}
	return nil
}

// checkLayout refuses, before anything is decompressed, an archive whose
// central directory points two members at the same bytes (a zip bomb's
// trick: one stream counted many times, which pip refuses too), points
// outside the file, or declares more than MaxMemberSize or MaxTotalSize.
func (in *installer) checkLayout(zr *zip.Reader, size int64) error {
	type span struct {
		start, end int64
		name       string
	}
	spans := make([]span, 0, len(zr.File))
	var total uint64
	for _, f := range zr.File {
		if f.UncompressedSize64 > uint64(MaxMemberSize) {
			return in.fail(ErrInvalidWheel, "member %s declares %d bytes uncompressed, more than the %d one member may hold", f.Name, f.UncompressedSize64, MaxMemberSize)
		}
		total += f.UncompressedSize64
		if total > uint64(MaxTotalSize) {
			return in.fail(ErrInvalidWheel, "the members declare more than %d bytes uncompressed in all, the most one wheel may hold", MaxTotalSize)
		}
		off, err := f.DataOffset()
		if err != nil {
			return in.fail(ErrInvalidWheel, "member %s: %v", f.Name, err)
		}
		n := f.CompressedSize64
		if off < 0 || n > uint64(size) || off > size-int64(n) {
			return in.fail(ErrInvalidWheel, "member %s: its data lies outside the file", f.Name)
		}
		// An empty member still owns its position.
		spans = append(spans, span{off, off + max(int64(n), 1), f.Name})
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	for i := 1; i < len(spans); i++ {
		if spans[i].start < spans[i-1].end {
			return in.fail(ErrInvalidWheel, "members %s and %s overlap in the archive: the central directory points both at the same bytes", spans[i-1].name, spans[i].name)
		}
	}
	return nil
}

// readMember reads one member, holding its declared size and no more.
func readMember(f *zip.File) ([]byte, error) {
	buf := bytes.NewBuffer(make([]byte, 0, min(int64(f.UncompressedSize64), 1<<20)))
	if err := copyMember(buf, f); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// copyMember copies one member to w, reading its declared size and no
// more: a member whose data does not match its declared size is an error,
// found as soon as the excess is read.
func copyMember(w io.Writer, f *zip.File) error {
	want := int64(f.UncompressedSize64)
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	n, err := io.Copy(w, io.LimitReader(rc, want+1))
	if n > want {
		return fmt.Errorf("holds more than the %d bytes its entry declares", want)
	}
	if err != nil {
		return err
	}
	if n != want {
		return fmt.Errorf("holds %d bytes, its entry declares %d", n, want)
	}
	return nil
}

// scanMember reads one member as copyMember does, for its size, sha256 and
// first bytes, keeping its content only when keep says so.
func scanMember(f *zip.File, keep bool) (member, error) {
	var m member
	h := sha256.New()
	head := &headWriter{max: len("#!python")}
	w := io.MultiWriter(h, head)
	var buf *bytes.Buffer
	if keep {
		buf = bytes.NewBuffer(make([]byte, 0, min(int64(f.UncompressedSize64), 1<<20)))
		w = io.MultiWriter(h, head, buf)
	}
	if err := copyMember(w, f); err != nil {
		return m, err
	}
	m.size = int64(f.UncompressedSize64)
	h.Sum(m.sum[:0])
	m.shebang = string(head.b) == "#!python"
	if keep {
		m.data = buf.Bytes()
	}
	return m, nil
}

// headWriter keeps the first max bytes written to it.
type headWriter struct {
	b   []byte
	max int
}

func (w *headWriter) Write(p []byte) (int, error) {
	if n := w.max - len(w.b); n > 0 {
		w.b = append(w.b, p[:min(n, len(p))]...)
	}
	return len(p), nil
}

// opener opens m's content from the wheel when the layer is written: the
// file is opened again and the member's bytes decompressed from where the
// check found them, through a reader that fails unless they are the size
// and sha256 the check found (and the installed RECORD lists).
func (in *installer) opener(m *member) (func() (io.ReadCloser, error), error) {
	off, err := m.f.DataOffset()
	if err != nil {
		return nil, in.fail(ErrInvalidWheel, "member %s: %v", m.name, err)
	}
	csize, method := int64(m.f.CompressedSize64), m.f.Method
	if method != zip.Store && method != zip.Deflate {
		return nil, in.fail(ErrInvalidWheel, "member %s: compression method %d, not stored or deflated", m.name, method)
	}
	a, pin, name, size, sum := in.arc, in.pin, m.name, m.size, m.sum
	return func() (io.ReadCloser, error) {
		where := fmt.Sprintf("%s: member %s", pin, name)
		if a.path != "" {
			where += " of " + a.path
		}
		r := &memberReader{where: where, size: size, sum: sum, h: sha256.New()}
		ra := a.r
		if a.path != "" {
			f, err := os.Open(a.path)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", pin, err)
			}
			ra = f
			r.closers = append(r.closers, f)
		}
		sec := io.NewSectionReader(ra, off, csize)
		if method == zip.Deflate {
			fr := flate.NewReader(sec)
			r.r = fr
			r.closers = append([]io.Closer{fr}, r.closers...)
		} else {
			r.r = sec
		}
		return r, nil
	}, nil
}

// memberReader reads a member as the install checked it, and fails on
// anything else: more or fewer bytes, or other bytes.
type memberReader struct {
	r       io.Reader
	closers []io.Closer
	where   string
	size, n int64
	sum     [sha256.Size]byte
	h       hash.Hash
}

func (r *memberReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if r.n+int64(n) > r.size {
		return 0, fmt.Errorf("%s: holds more than the %d bytes it held when installed", r.where, r.size)
	}
	r.h.Write(p[:n])
	r.n += int64(n)
	if err == io.EOF {
		if r.n != r.size {
			return n, fmt.Errorf("%s: holds %d bytes, not the %d it held when installed", r.where, r.n, r.size)
		}
		if !bytes.Equal(r.h.Sum(nil), r.sum[:]) {
			return n, fmt.Errorf("%s: its bytes changed since it was installed (sha256 differs)", r.where)
		}
	}
	return n, err
}

func (r *memberReader) Close() error {
	var errs []error
	for _, c := range r.closers {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

func (in *installer) install() ([]File, error) {
	distInfo, err := in.distInfo()
	if err != nil {
		return nil, err
	}
	if err := in.checkWheelFile(distInfo); err != nil {
		return nil, err
	}
	if err := in.checkRecord(distInfo); err != nil {
		return nil, err
	}
	var console, gui []script
	if ep := in.byName[distInfo+"/entry_points.txt"]; ep != nil {
		console, gui, err = parseEntryPoints(string(ep.data))
		if err != nil {
			return nil, in.fail(ErrEntryPoints, "%s/entry_points.txt: %v", distInfo, err)
		}
	}
	wrapped := map[string]bool{}
	for _, s := range slices.Concat(console, gui) {
		wrapped[s.name] = true
	}

	l := in.layout
	bin := path.Dir(l.Interpreter)
	for _, m := range in.members {
		first, rest, _ := strings.Cut(m.name, "/")
		mode := fs.FileMode(0o644)
		if m.exec {
			mode = 0o755
		}
		if !strings.HasSuffix(first, ".data") {
			switch m.name {
			case distInfo + "/RECORD", distInfo + "/INSTALLER":
				// Written below, for this install.
				continue
			}
			if err := in.putMember(path.Join(l.SitePackages, m.name), &m, mode); err != nil {
				return nil, err
			}
			continue
		}
		scheme, sub, ok := strings.Cut(rest, "/")
		if !ok || sub == "" {
			return nil, in.fail(ErrInvalidWheel, "member %s: .data files must be in <scheme>/<path>", m.name)
		}
		var dest string
		switch scheme {
		case "purelib", "platlib":
			dest = path.Join(l.SitePackages, sub)
		case "scripts":
			if wrapped[wrapperOf(path.Base(sub))] {
				// setuptools' own wrapper for an entry point, which pip
				// replaces with its own.
				continue
			}
			dest = path.Join(bin, sub)
			mode = 0o755
			if m.shebang {
				data, err := readMember(m.f)
				if err != nil {
					return nil, in.fail(ErrInvalidWheel, "member %s: %v", m.name, err)
				}
				if err := in.put(dest, fixShebang(data, l.Interpreter), mode, m.name); err != nil {
					return nil, err
				}
				continue
			}
		case "headers":
			if l.Include == "" {
				return nil, fmt.Errorf("%s: the wheel has headers and the layout does not say where they go: set Layout.Include", in.pin)
			}
			dest = path.Join(l.Include, in.pin.Name, sub)
		case "data":
			dest = path.Join(l.Prefix, sub)
		default:
			return nil, in.fail(ErrInvalidWheel, "member %s: unknown .data scheme %q (want purelib, platlib, scripts, headers or data)", m.name, scheme)
		}
		if err := in.putMember(dest, &m, mode); err != nil {
			return nil, err
		}
	}
	for _, s := range slices.Concat(console, gui) {
		if err := in.put(path.Join(bin, s.name), s.text(shebang(l.Interpreter)), 0o755, "entry point "+s.name); err != nil {
			return nil, err
		}
	}
	info := path.Join(l.SitePackages, distInfo)
	if err := in.put(info+"/INSTALLER", []byte("dist\n"), 0o644, "INSTALLER"); err != nil {
		return nil, err
	}
	record := info + "/RECORD"
	if err := in.put(record, nil, 0o644, "RECORD"); err != nil {
		return nil, err
	}
	data := in.record(record)
	*in.out[record] = File{Path: record, Mode: 0o644, Data: data, Size: int64(len(data)), SHA256: sha256.Sum256(data)}

	files := make([]File, 0, len(in.out))
	for _, f := range in.out {
		files = append(files, *f)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, nil
}

// put adds one installed file; two sources for one path is an error, since
// which should win depends on an order no wheel should rely on.
func (in *installer) put(dest string, data []byte, mode fs.FileMode, src string) error {
	if part := whiteoutPart(dest); part != "" {
		return in.fail(ErrUnsafePath, "%s would install to %s: %q is a whiteout name, which an image layer reads as an order to delete or hide the base image's files", src, dest, part)
	}
	if prev, dup := in.from[dest]; dup {
		return in.fail(ErrInvalidWheel, "%s and %s both install to %s", prev, src, dest)
	}
	in.from[dest] = src
	in.out[dest] = &File{Path: dest, Mode: mode, Data: data, Size: int64(len(data)), SHA256: sha256.Sum256(data)}
	return nil
}

// putMember is put for a member installed unchanged, read from the wheel
// when the layer is written.
func (in *installer) putMember(dest string, m *member, mode fs.FileMode) error {
	open, err := in.opener(m)
	if err != nil {
		return err
	}
	if err := in.put(dest, nil, mode, m.name); err != nil {
		return err
	}
	*in.out[dest] = File{Path: dest, Mode: mode, Size: m.size, SHA256: m.sum, Wheel: in.arc.path, Member: m.name, open: open}
	return nil
}

// wrapperOf is the entry point a setuptools-made script would stand for.
func wrapperOf(name string) string {
	lower := strings.ToLower(name)
	for _, suffix := range []string{".exe", "-script.py", ".pya"} {
		if strings.HasSuffix(lower, suffix) {
			return name[:len(name)-len(suffix)]
		}
	}
	return name
}

// fixShebang replaces a "#!python" first line, with whatever follows on
// it, by one naming the interpreter, as pip does.
func fixShebang(data []byte, interpreter string) []byte {
	if !bytes.HasPrefix(data, []byte("#!python")) {
		return data
	}
	rest := []byte(nil)
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		rest = data[i+1:]
	}
	return slices.Concat([]byte("#!"+interpreter+"\n"), rest)
}

// distInfo finds the one top-level .dist-info directory, which must be the
// pin's.
func (in *installer) distInfo() (string, error) {
	var dirs []string
	for _, m := range in.members {
		if first, _, ok := strings.Cut(m.name, "/"); ok && strings.HasSuffix(first, ".dist-info") && !slices.Contains(dirs, first) {
			dirs = append(dirs, first)
		}
	}
	if len(dirs) != 1 {
		return "", in.fail(ErrInvalidWheel, "want one .dist-info directory, found %d %v", len(dirs), dirs)
	}
	name, _, _ := strings.Cut(strings.TrimSuffix(dirs[0], ".dist-info"), "-")
	if pep508.NormalizeName(name) != pep508.NormalizeName(in.pin.Name) {
		return "", in.fail(ErrInvalidWheel, "the wheel is %s, not a wheel of %s", dirs[0], in.pin.Name)
	}
	return dirs[0], nil
}

// checkWheelFile reads WHEEL's Wheel-Version, which is 1.x for every
// format this package knows how to install.
func (in *installer) checkWheelFile(distInfo string) error {
	w := in.byName[distInfo+"/WHEEL"]
	if w == nil {
		return in.fail(ErrInvalidWheel, "%s/WHEEL is missing", distInfo)
	}
	for _, line := range strings.Split(string(w.data), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "Wheel-Version") {
			continue
		}
		v = strings.TrimSpace(v)
		major, _, _ := strings.Cut(v, ".")
		if major != "1" {
			return in.fail(ErrInvalidWheel, "Wheel-Version %s: dist installs version 1 wheels", v)
		}
		return nil
	}
	return in.fail(ErrInvalidWheel, "%s/WHEEL has no Wheel-Version", distInfo)
}

// recordHashes are the hashes RECORD may use, named as Python's hashlib
// names them (the spec's spelling): sha256 and the stronger ones of
// hashlib's guaranteed set that Go's standard library has. md5, sha1 and
// sha224 are refused, as the binary distribution format says.
var recordHashes = map[string]func() hash.Hash{
	"sha256":   sha256.New,
	"sha384":   sha512.New384,
	"sha512":   sha512.New,
	"sha3_256": func() hash.Hash { return sha3.New256() },
	"sha3_384": func() hash.Hash { return sha3.New384() },
	"sha3_512": func() hash.Hash { return sha3.New512() },
}

// checkRecord checks the wheel's RECORD against its members, as the binary
// distribution format asks of an installer: every member but RECORD and
// its signatures (RECORD.jws, RECORD.p7s) must be listed, with a hash of
// an accepted algorithm that matches, and with the right size when one is
// given. A wheel that disagrees with itself was damaged or altered after
// it was built; the lockfile's hash only says it is the file that was
// published.
func (in *installer) checkRecord(distInfo string) error {
	self := distInfo + "/RECORD"
	rec := in.byName[self]
	if rec == nil {
		return in.fail(ErrInvalidWheel, "%s is missing", self)
	}
	r := csv.NewReader(bytes.NewReader(rec.data))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	rows, err := r.ReadAll()
	if err != nil {
		return in.fail(ErrInvalidWheel, "%s: %v", self, err)
	}
	listed := map[string][]string{}
	for _, row := range rows {
		if len(row) == 0 || row[0] == "" {
			continue
		}
		name := path.Clean(row[0])
		if prev, dup := listed[name]; dup && !slices.Equal(prev, row) {
			return in.fail(ErrInvalidWheel, "%s lists %s twice, differently", self, row[0])
		}
		listed[name] = row
	}
	for i := range in.members {
		m := &in.members[i]
		switch m.name {
		case self, distInfo + "/RECORD.jws", distInfo + "/RECORD.p7s":
			continue
		}
		row, ok := listed[m.name]
		if !ok {
			return in.fail(ErrInvalidWheel, "member %s is not listed in %s: every file of a wheel must be", m.name, self)
		}
		if len(row) < 2 || row[1] == "" {
			return in.fail(ErrInvalidWheel, "member %s: %s gives it no hash", m.name, self)
		}
		algo, want, ok := strings.Cut(row[1], "=")
		if !ok || want == "" {
			return in.fail(ErrInvalidWheel, "member %s: %s has %q, not <algorithm>=<digest>", m.name, self, row[1])
		}
		newHash := recordHashes[algo]
		if newHash == nil {
			why := "not a hash dist accepts (sha256, sha384, sha512, sha3_256, sha3_384, sha3_512)"
			switch lower := strings.ToLower(algo); {
			case lower == "md5" || lower == "sha1" || lower == "sha224":
				why = "weaker than sha256, which the wheel format refuses"
			case recordHashes[lower] != nil:
				why = "not spelled as the wheel format spells it (" + lower + ")"
			}
			return in.fail(ErrInvalidWheel, "member %s: %s hashes it with %q, %s", m.name, self, algo, why)
		}
		var sum []byte
		if algo == "sha256" {
			// Found as the member was read.
			sum = m.sum[:]
		} else {
			h := newHash()
			if err := copyMember(h, m.f); err != nil {
				return in.fail(ErrInvalidWheel, "member %s: %v", m.name, err)
			}
			sum = h.Sum(nil)
		}
		if got := base64.RawURLEncoding.EncodeToString(sum); got != strings.TrimRight(want, "=") {
			return in.fail(ErrInvalidWheel, "%s: RECORD says %s=%s, the member hashes to %s", m.name, algo, want, got)
		}
		if len(row) > 2 && row[2] != "" {
			if n, err := strconv.ParseInt(row[2], 10, 64); err != nil || n != m.size {
				return in.fail(ErrInvalidWheel, "%s: RECORD says %s bytes, the member has %d", m.name, row[2], m.size)
			}
		}
	}
	return nil
}

// record is the installed RECORD: every file with its sha256 and size,
// paths relative to site-packages as pip writes them, RECORD itself without
// a hash, sorted by path.
func (in *installer) record(self string) []byte {
	paths := make([]string, 0, len(in.out))
	for p := range in.out {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var b bytes.Buffer
	for _, p := range paths {
		b.WriteString(csvField(relPath(in.layout.SitePackages, p)))
		if p == self {
			b.WriteString(",,\n")
			continue
		}
		f := in.out[p]
		fmt.Fprintf(&b, ",sha256=%s,%d\n", base64.RawURLEncoding.EncodeToString(f.SHA256[:]), f.Size)
	}
	return b.Bytes()
}

// csvField quotes a field the way Python's csv module does by default, so
// that any installer reads the RECORD back.
func csvField(s string) string {
	if !strings.ContainsAny(s, ",\"\r\n") {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// relPath is the path of target relative to the directory base, both clean
// and absolute.
func relPath(base, target string) string {
	split := func(p string) []string {
		if p == "/" {
			return nil
		}
		return strings.Split(p[1:], "/")
	}
	b, t := split(base), split(target)
	i := 0
	for i < len(b) && i < len(t) && b[i] == t[i] {
		i++
	}
	parts := make([]string, 0, len(b)-i+len(t)-i)
	for range b[i:] {
		parts = append(parts, "..")
	}
	return strings.Join(append(parts, t[i:]...), "/")
}
