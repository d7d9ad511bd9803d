package wheel

import (
	"archive/zip"
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash"
	"strings"
	"testing"

	"github.com/distbuild/dist/internal/testenv/pyindex"
)

// A member named like an OCI whiteout would, in the dependencies layer,
// delete or hide the base image's files instead of being installed.
func TestInstallRefusesWhiteouts(t *testing.T) {
	data := pyindex.DataDir("evil", "1.0")
	for _, name := range []string{
		data + "/scripts/.wh.python3",
		data + "/data/.wh..wh..opq",
		data + "/data/lib/.wh.python3.12/x.py",
		".wh.evil.py",
		"evil/.wh..wh..opq",
	} {
		t.Run(name, func(t *testing.T) {
			w, pin := build(t, "evil", "1.0", pyindex.File{Members: []pyindex.Member{{Name: name, Data: "x\n"}}})
			files, err := installBytes(w, pin, imageLayout)
			wantPinError(t, err, ErrUnsafePath, "evil==1.0", `"`+name+`"`, "whiteout")
			if files != nil {
				t.Errorf("files returned with the error")
			}
		})
	}
	t.Run("entry point", func(t *testing.T) {
		w, pin := build(t, "evil", "1.0", pyindex.File{EntryPoints: "[console_scripts]\n.wh.python3 = evil:main\n"})
		_, err := installBytes(w, pin, imageLayout)
		if err == nil {
			t.Fatal("an entry point named .wh.python3 was installed")
		}
		t.Log(err)
	})
}

// centralDir calls edit on each central directory record of a zip, in
// order, to forge what a zip writer would never write.
func centralDir(t *testing.T, data []byte, edit func(i int, rec []byte)) []byte {
	t.Helper()
	out := bytes.Clone(data)
	sig := []byte{'P', 'K', 1, 2}
	end := bytes.LastIndex(out, []byte{'P', 'K', 5, 6})
	if end < 0 {
		t.Fatal("no end of central directory")
	}
	start := int(binary.LittleEndian.Uint32(out[end+16:]))
	for i, p := 0, start; p < end; i++ {
		if !bytes.Equal(out[p:p+4], sig) {
			t.Fatalf("no central directory record at %d", p)
		}
		n := 46 + int(binary.LittleEndian.Uint16(out[p+28:])) + int(binary.LittleEndian.Uint16(out[p+30:])) + int(binary.LittleEndian.Uint16(out[p+32:]))
		edit(i, out[p:p+n])
		p += n
	}
	return out
}

func pinFor(name string, data []byte) Pin {
	sum := sha256.Sum256(data)
	return Pin{Name: name, Version: "1.0", Hashes: []string{"sha256:" + base16(sum[:])}}
}

// A central directory pointing many entries at one deflated stream (the
// overlapping zip bomb) is refused before anything is decompressed.
func TestInstallRefusesOverlappingMembers(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	big := bytes.Repeat([]byte{0}, 1<<20)
	for i := range 8 {
		w, err := zw.Create(fmt.Sprintf("bomb/part%d.bin", i))
		if err != nil {
			t.Fatal(err)
		}
		w.Write(big)
	}
	zw.Close()
	var first uint32
	data := centralDir(t, buf.Bytes(), func(i int, rec []byte) {
		if i == 0 {
			first = binary.LittleEndian.Uint32(rec[42:])
		} else {
			binary.LittleEndian.PutUint32(rec[42:], first)
		}
	})
	_, err := installBytes(data, pinFor("bomb", data), imageLayout)
	wantPinError(t, err, ErrInvalidWheel, "bomb==1.0", "overlap", "bomb/part0.bin")
}

func TestInstallSizeBounds(t *testing.T) {
	good, pin := build(t, "sized", "1.0", pyindex.File{Members: []pyindex.Member{
		{Name: "sized/a.py", Data: strings.Repeat("a = 1\n", 1000)},
		{Name: "sized/b.py", Data: strings.Repeat("b = 2\n", 1000)},
	}})
	if _, err := installBytes(good, pin, imageLayout); err != nil {
		t.Fatal(err)
	}
	lower := func(t *testing.T, v *int64, to int64) {
		old := *v
		*v = to
		t.Cleanup(func() { *v = old })
	}
	t.Run("member", func(t *testing.T) {
		lower(t, &MaxMemberSize, 5000)
		_, err := installBytes(good, pin, imageLayout)
		wantPinError(t, err, ErrInvalidWheel, "sized==1.0", "sized/a.py declares 6000 bytes", "5000")
	})
	t.Run("total", func(t *testing.T) {
		lower(t, &MaxTotalSize, 10000)
		_, err := installBytes(good, pin, imageLayout)
		wantPinError(t, err, ErrInvalidWheel, "sized==1.0", "more than 10000 bytes")
	})
	// Sizes declared smaller or larger than the data: the smaller would let
	// a member slip under the caps and then grow.
	for name, size := range map[string]uint32{"smaller": 10, "larger": 7000} {
		t.Run("declared "+name, func(t *testing.T) {
			data := centralDir(t, good, func(i int, rec []byte) {
				if n := binary.LittleEndian.Uint16(rec[28:]); string(rec[46:46+n]) == "sized/a.py" {
					binary.LittleEndian.PutUint32(rec[24:], size)
				}
			})
			_, err := installBytes(data, pinFor("sized", data), imageLayout)
			wantPinError(t, err, ErrInvalidWheel, "sized==1.0", "member sized/a.py")
		})
	}
}

// The wheel format: every member but RECORD and its signatures is listed
// in RECORD and correctly hashed with sha256 or stronger, the algorithm
// spelled as hashlib spells it.
func TestInstallRecordStrict(t *testing.T) {
	good, _ := build(t, "Demo.Tool", "1.0", demoWheel("py3-none-any"))
	const target = "demo_tool/sub/mod.py"
	content := []byte("VALUE = 42\n")
	digest := func(h hash.Hash) string {
		h.Write(content)
		return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
	}
	md5sum := md5.Sum(content)
	sha1sum := sha1.Sum(content)
	// rerow replaces target's RECORD row; "" drops it.
	rerow := func(row string) func(string, []byte) (string, []byte) {
		return func(n string, d []byte) (string, []byte) {
			if !strings.HasSuffix(n, ".dist-info/RECORD") {
				return n, d
			}
			var out []string
			for _, line := range strings.SplitAfter(string(d), "\n") {
				if strings.HasPrefix(line, target+",") {
					if row == "" {
						continue
					}
					line = row + "\n"
				}
				out = append(out, line)
			}
			return n, []byte(strings.Join(out, ""))
		}
	}
	for name, tc := range map[string]struct {
		row  string
		want string // "" for success
	}{
		"missing":     {"", "member demo_tool/sub/mod.py is not listed in"},
		"no hash":     {target + ",,11", "gives it no hash"},
		"sha1":        {target + ",sha1=" + base64.RawURLEncoding.EncodeToString(sha1sum[:]) + ",11", `"sha1", weaker than sha256`},
		"md5":         {target + ",md5=" + base64.RawURLEncoding.EncodeToString(md5sum[:]) + ",11", `"md5", weaker than sha256`},
		"upper case":  {target + ",SHA256=" + digest(sha256.New()) + ",11", `"SHA256", not spelled as the wheel format spells it (sha256)`},
		"unknown":     {target + ",crc32=AAAA,11", `"crc32", not a hash dist accepts`},
		"bad digest":  {target + ",sha256=" + digest(sha512.New()) + ",11", "RECORD says sha256="},
		"bad size":    {target + ",sha256=" + digest(sha256.New()) + ",12", "RECORD says 12 bytes"},
		"sha512":      {target + ",sha512=" + digest(sha512.New()) + ",11", ""},
		"sha3_256":    {target + ",sha3_256=" + digest(sha3.New256()) + ",", ""},
		"padded b64":  {target + ",sha256=" + digest(sha256.New()) + "=,11", ""},
		"sha256 good": {target + ",sha256=" + digest(sha256.New()) + ",11", ""},
	} {
		t.Run(name, func(t *testing.T) {
			data := rezip(t, good, rerow(tc.row))
			_, err := installBytes(data, pinFor("Demo.Tool", data), imageLayout)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantPinError(t, err, ErrInvalidWheel, "Demo.Tool==1.0", tc.want)
		})
	}

	t.Run("signatures need not be listed", func(t *testing.T) {
		data := addMember(t, good, "Demo_Tool-1.0.dist-info/RECORD.jws", "{}")
		if _, err := installBytes(data, pinFor("Demo.Tool", data), imageLayout); err != nil {
			t.Fatal(err)
		}
		data = addMember(t, good, "Demo_Tool-1.0.dist-info/extra.txt", "unlisted")
		_, err := installBytes(data, pinFor("Demo.Tool", data), imageLayout)
		wantPinError(t, err, ErrInvalidWheel, "Demo.Tool==1.0", "extra.txt is not listed")
	})
}

func addMember(t *testing.T, data []byte, name, content string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		if err := zw.Copy(f); err != nil {
			t.Fatal(err)
		}
	}
	w, err := zw.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(content))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
