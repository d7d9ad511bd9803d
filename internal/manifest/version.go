package manifest

import (
	"errors"
	"os"
	"strings"

	"github.com/distbuild/dist/internal/version"
)

// Version reads the work tree's version file (version_file, VERSION by
// default): its content with surrounding white space trimmed, as a PEP 440
// version, the scheme every dist release number follows whatever the
// ecosystem it pins. The version's Raw is the text as written.
//
// Errors are *fileerr.Error, exit 2: at version_file's line of dist.yaml
// when the path leads outside the repository, "VERSION: ..." when the file
// cannot be read, "VERSION:1: ..." when it is empty or not a version.
func (m *Manifest) Version() (version.V, error) {
	data, err := m.ReadFileKey("version_file", m.VersionFile)
	if fe := (*Error)(nil); errors.As(err, &fe) {
		return version.V{}, err
	}
	if err != nil {
		// The path is the one in the message already: the operating
		// system's absolute form of it would say it twice.
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return version.V{}, &Error{Path: m.VersionFile, Msg: err.Error()}
	}
	return ParseVersion(m.VersionFile, data)
}

// ParseVersion parses the content of a version file, data, read from name
// (a path, or "REV:path" for a file read from a commit): trimmed, as PEP
// 440. Errors are *fileerr.Error at name:1.
func ParseVersion(name string, data []byte) (version.V, error) {
	s := strings.TrimSpace(string(data))
	if s == "" {
		return version.V{}, &Error{Path: name, Line: 1, Msg: "empty version file"}
	}
	v, err := version.Parse("pypi", s)
	if err != nil {
		return version.V{}, &Error{Path: name, Line: 1, Msg: err.Error()}
	}
	return v, nil
}
