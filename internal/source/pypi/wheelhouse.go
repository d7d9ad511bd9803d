package pypi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/distbuild/dist/internal/coremetadata"
	"github.com/distbuild/dist/internal/fetch"
	"github.com/distbuild/dist/internal/pep508"
)

// houseFile is what dist reads of one wheelhouse wheel.
type houseFile struct {
	sha256         string // lowercase hex
	size           int64
	requiresPython string
}

// houseFiles remembers each wheelhouse file read in this process, by path,
// size and modification time: every Source over the same folder (one per
// python_version and platform narrowing) shares the hashing, and a file
// rebuilt in place is read again.
var houseFiles flight[houseFile]

// scanWheelhouse lists the wheels of a folder by PEP 503-normalized project
// name, in filename order. Like pip's --find-links DIR it reads the folder
// itself, not its subfolders, and leaves out what is not a wheel of a
// readable name.
func scanWheelhouse(dir string) (map[string][]string, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("wheelhouse %s does not exist", dir)
	}
	if err != nil {
		return nil, fmt.Errorf("wheelhouse: %w", err)
	}
	out := map[string][]string{}
	for _, e := range ents {
		stem, ok := strings.CutSuffix(e.Name(), ".whl")
		if !ok {
			continue
		}
		name, _, _ := strings.Cut(stem, "-")
		norm := pep508.NormalizeName(name)
		if _, ok := parseFilename(e.Name(), norm); !ok {
			continue
		}
		// A symlink to a wheel counts; a folder named like one does not.
		if fi, err := os.Stat(filepath.Join(dir, e.Name())); err != nil || !fi.Mode().IsRegular() {
			continue
		}
		out[norm] = append(out[norm], e.Name())
	}
	return out, nil
}

// wheelhouseFiles returns the wheelhouse's wheels of one project as page
// files, each with the sha256 of its bytes and the Requires-Python of its
// METADATA, as an index would publish them.
func (s *Source) wheelhouseFiles(ctx context.Context, norm string) ([]rawFile, error) {
	if s.opts.Wheelhouse == "" {
		return nil, nil
	}
	byName, err := s.house()
	if err != nil {
		return nil, err
	}
	var out []rawFile
	for _, fn := range byName[norm] {
		p := filepath.Join(s.opts.Wheelhouse, fn)
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("wheelhouse: %w", err)
		}
		key := fmt.Sprintf("%s\x00%d\x00%d", p, fi.Size(), fi.ModTime().UnixNano())
		hf, err := houseFiles.do(ctx, key, func() (houseFile, error) { return readHouseFile(p, norm) })
		if err != nil {
			return nil, err
		}
		out = append(out, rawFile{
			filename:       fn,
			url:            fetch.FileURL(p),
			sha256:         hf.sha256,
			size:           hf.size,
			requiresPython: hf.requiresPython,
			wheelhouse:     true,
		})
	}
	return out, nil
}

// readHouseFile hashes a wheelhouse wheel and reads its METADATA, which
// must be the metadata of the project and version its filename says: a
// wheel pip would refuse to install is refused here, when it is added.
func readHouseFile(p, norm string) (houseFile, error) {
	f, err := os.Open(p)
	if err != nil {
		return houseFile{}, fmt.Errorf("wheelhouse: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return houseFile{}, fmt.Errorf("wheelhouse: %s: %w", p, err)
	}
	_, data, err := wheelMetadata(p)
	if err != nil {
		return houseFile{}, fmt.Errorf("wheelhouse: %s: %w", p, err)
	}
	m, err := coremetadata.Parse(data)
	if err != nil {
		return houseFile{}, fmt.Errorf("wheelhouse: %s: %w", p, err)
	}
	info, _ := parseFilename(filepath.Base(p), norm)
	if pep508.NormalizeName(m.Name) != norm || !sameVersion(m.Version, info.version) {
		return houseFile{}, fmt.Errorf("wheelhouse: %s holds the metadata of %s %s", p, m.Name, m.Version)
	}
	return houseFile{sha256: hex.EncodeToString(h.Sum(nil)), size: n, requiresPython: m.RequiresPython}, nil
}

// where names what the Source reads, for errors.
func (s *Source) where() string {
	if s.opts.Wheelhouse == "" {
		return fetch.Redact(s.index)
	}
	return fetch.Redact(s.index) + " or wheelhouse " + s.opts.Wheelhouse
}
