package manifest

import (
	"errors"
	"os"

	"github.com/distbuild/dist/internal/fileerr"
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
	if fe := (*fileerr.Error)(nil); errors.As(err, &fe) {
		return version.V{}, err
	}
	if err != nil {
		// The path is the one in the message already: the operating
		// system's absolute form of it would say it twice.
		msg := err.Error()
		var pe *os.PathError
		if errors.As(err, &pe) {
			msg = pe.Err.Error()
		}
		return version.V{}, &fileerr.Error{Path: m.VersionFile, Msg: msg, Err: err}
	}
	return version.ParseFile(m.VersionFile, data)
}

// CommitFiles reads files as a commit has them (*gitrepo.Repo does):
// rel is a path relative to dir, a directory of the work tree; ok is false
// when the commit has no such file.
type CommitFiles interface {
	FileAtIn(rev, dir, rel string) (data []byte, ok bool, err error)
}

// VersionAt reads the version file as the commit rev names (a tag, a
// branch, "HEAD", a hash) has it, parsed as Version parses the work
// tree's. ok is false, with no error, when the commit has no version file:
// each caller says what that means for it.
//
// Errors: those of files (an unknown revision, a directory at the path);
// a *fileerr.Error at "REV:VERSION:1" when the file is empty or not a
// PEP 440 version.
func (m *Manifest) VersionAt(files CommitFiles, rev string) (v version.V, ok bool, err error) {
	data, ok, err := files.FileAtIn(rev, m.Dir, m.VersionFile)
	if err != nil || !ok {
		return version.V{}, false, err
	}
	v, err = version.ParseFile(rev+":"+m.VersionFile, data)
	return v, err == nil, err
}
