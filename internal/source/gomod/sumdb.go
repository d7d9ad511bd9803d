package gomod

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb"
	"golang.org/x/mod/sumdb/note"

	"github.com/distbuild/dist/internal/atomicfile"
	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/fetch"
)

// knownSumDBKeys are the verifier keys the go command knows by name.
var knownSumDBKeys = map[string]string{
	"sum.golang.org": "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8",
}

// sumDB checks hashes against a checksum database. Its tiles and the latest
// signed tree head it has seen are kept under the fetch cache, so that each
// run both saves requests and proves the log only grew since the last.
type sumDB struct {
	src    *Source
	name   string
	key    string
	dir    string
	client *sumdb.Client

	baseOnce sync.Once
	base     string // URL, or a directory when local
	local    bool
	baseErr  error

	mu          sync.Mutex
	securityMsg string
}

// newSumDB reads GOSUMDB as the go command does: "name", "key" or
// "key URL", where a bare name must be one the go command knows.
func newSumDB(s *Source, gosumdb string) (*sumDB, error) {
	// sum.golang.google.cn is an alias of sum.golang.org reachable in China.
	if gosumdb == "sum.golang.google.cn" {
		gosumdb = "sum.golang.org https://sum.golang.google.cn"
	}
	f := strings.Fields(gosumdb)
	if len(f) == 0 || len(f) > 2 {
		return nil, fmt.Errorf("invalid GOSUMDB %q: want \"name\", \"key\" or \"key URL\"", gosumdb)
	}
	if k, ok := knownSumDBKeys[f[0]]; ok {
		f[0] = k
	}
	v, err := note.NewVerifier(f[0])
	if err != nil {
		return nil, fmt.Errorf("invalid GOSUMDB %q: %w", gosumdb, err)
	}
	// The state is kept per key, not per name: a tree signed by another key
	// under the same name would otherwise fail every later check.
	keySum := sha256.Sum256([]byte(f[0]))
	d := &sumDB{src: s, name: v.Name(), key: f[0], dir: filepath.Join(s.client.Cache().Dir, "gosumdb", hex.EncodeToString(keySum[:8]))}
	if u, err := url.Parse("https://" + d.name); err != nil || u.Host == "" || strings.HasSuffix(d.name, "/") {
		return nil, fmt.Errorf("invalid GOSUMDB %q: name must be host[/path]", gosumdb)
	}
	if len(f) == 2 {
		d.baseOnce.Do(func() { d.setBase(strings.TrimSuffix(f[1], "/")) })
		if d.baseErr != nil {
			return nil, fmt.Errorf("invalid GOSUMDB %q: %v", gosumdb, d.baseErr)
		}
	}
	d.client = sumdb.NewClient(d)
	return d, nil
}

func (d *sumDB) setBase(raw string) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		d.baseErr = err
	case u.Scheme == "file":
		d.base, d.local = filepath.FromSlash(u.Path), true
	case u.Scheme == "http" || u.Scheme == "https":
		d.base = raw
	default:
		d.baseErr = fmt.Errorf("checksum database URL %q: scheme must be http, https or file", fetch.Redact(raw))
	}
}

// findBase looks for the database the way the go command does: the first
// proxy in GOPROXY whose /sumdb/<name>/supported answers serves it, so that
// a machine that reaches only a proxy can still check; if none does, or the
// list reaches "direct" or "off", the database's own host.
func (d *sumDB) findBase(ctx context.Context) error {
	d.baseOnce.Do(func() {
		for _, p := range d.src.proxies {
			if p.kind != kindURL {
				break
			}
			var err error
			if p.dir != "" {
				_, err = os.Stat(filepath.Join(p.dir, "sumdb", filepath.FromSlash(d.name), "supported"))
			} else {
				_, _, err = d.src.client.GetBytes(ctx, p.fileURL("sumdb/"+d.name+"/supported"), nil)
			}
			if err == nil {
				d.setBase(p.fileURL("sumdb/" + d.name))
				return
			}
			if !isNotFound(err) && !p.fallBackOnError {
				d.baseErr = fmt.Errorf("checksum database %s: %w", d.name, err)
				return
			}
		}
		d.base = "https://" + d.name
	})
	return d.baseErr
}

// checkSumDB verifies the go.sum hashes of name@version; an empty zipSum
// checks the go.mod alone, for callers that never download the zip.
func (s *Source) checkSumDB(ctx context.Context, name, version, zipSum, modSum string) error {
	d := s.sumdb
	if d == nil || module.MatchPrefixPatterns(s.env.GONOSUMDB, name) {
		return nil
	}
	if err := d.findBase(ctx); err != nil {
		return err
	}
	for _, c := range []struct{ vers, got string }{{version, zipSum}, {version + "/go.mod", modSum}} {
		if c.got == "" {
			continue
		}
		lines, err := d.client.Lookup(name, c.vers)
		if err != nil {
			if errors.Is(err, sumdb.ErrSecurity) {
				d.mu.Lock()
				msg := d.securityMsg
				d.mu.Unlock()
				return fmt.Errorf("checksum database %s: %w\n%s", d.name, err, msg)
			}
			return fmt.Errorf("checksum database %s: %w (for a private module, set GONOSUMDB or GOPRIVATE)", d.name, err)
		}
		var want string
		for _, l := range lines {
			f := strings.Fields(l)
			if len(f) != 3 {
				continue
			}
			if f[2] == c.got {
				want = ""
				break
			}
			want = f[2]
		}
		if len(lines) == 0 {
			return fmt.Errorf("checksum database %s has no hash for %s %s", d.name, name, c.vers)
		}
		if want != "" {
			return fmt.Errorf("checksum database %s disagrees on %s %s (SECURITY: the proxy served other bytes than the module's author published): %w",
				d.name, name, c.vers, failure.Check(&fetch.HashMismatchError{Want: want, Got: c.got}))
		}
	}
	return nil
}

// The methods below are sumdb.ClientOps. The interface has no context, so
// remote reads run under the fetch client's own timeouts.

func (d *sumDB) ReadRemote(path string) ([]byte, error) {
	if d.local {
		return os.ReadFile(filepath.Join(d.base, filepath.FromSlash(path)))
	}
	b, _, err := d.src.client.GetBytes(context.Background(), d.base+path, nil)
	return b, err
}

func (d *sumDB) ReadConfig(file string) ([]byte, error) {
	if file == "key" {
		return []byte(d.key), nil
	}
	p, err := d.path(file)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		// An empty tree: the client starts trusting from this run.
		return nil, nil
	}
	return b, err
}

func (d *sumDB) WriteConfig(file string, old, new []byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	cur, err := d.ReadConfig(file)
	if err != nil {
		return err
	}
	if !bytes.Equal(cur, old) {
		return sumdb.ErrWriteConflict
	}
	p, err := d.path(file)
	if err != nil {
		return err
	}
	return writeAtomic(p, new)
}

func (d *sumDB) ReadCache(file string) ([]byte, error) {
	p, err := d.path(file)
	if err != nil {
		return nil, err
	}
	return os.ReadFile(p)
}

func (d *sumDB) WriteCache(file string, data []byte) {
	if p, err := d.path(file); err == nil {
		// A lost cache entry only costs a request next time.
		_ = writeAtomic(p, data)
	}
}

func (d *sumDB) Log(msg string) {}

func (d *sumDB) SecurityError(msg string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.securityMsg = msg
}

// path maps a client file name ("<name>/latest", "<name>/tile/8/0/001")
// under the cache directory, refusing names that would escape it.
func (d *sumDB) path(file string) (string, error) {
	p := filepath.Join(d.dir, filepath.FromSlash(file))
	if rel, err := filepath.Rel(d.dir, p); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("invalid checksum database cache name %q", file)
	}
	return p, nil
}

func writeAtomic(p string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFile(p, data, 0o644)
}
