package wheel

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/distbuild/dist/internal/source"
)

// locked makes a pin and its artifacts from filenames, every one locked.
func locked(filenames ...string) (Pin, []source.Artifact) {
	pin := Pin{Name: "demo", Version: "1.0"}
	var arts []source.Artifact
	for i, fn := range filenames {
		h := fmt.Sprintf("sha256:%064x", i+1)
		pin.Hashes = append(pin.Hashes, h)
		arts = append(arts, source.Artifact{Filename: fn, URL: "https://files.example/" + fn, Hash: h})
	}
	return pin, arts
}

func TestSelectRanking(t *testing.T) {
	const (
		cpManylinux    = "demo-1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
		cpManylinux28  = "demo-1.0-cp312-cp312-manylinux_2_28_x86_64.whl"
		cpMusl         = "demo-1.0-cp312-cp312-musllinux_1_1_x86_64.whl"
		cpArm          = "demo-1.0-cp312-cp312-manylinux_2_17_aarch64.manylinux2014_aarch64.whl"
		cpArmMusl      = "demo-1.0-cp312-cp312-musllinux_1_2_aarch64.whl"
		cpLinux        = "demo-1.0-cp312-cp312-linux_x86_64.whl"
		abi3           = "demo-1.0-cp38-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
		abi3Arm        = "demo-1.0-cp38-abi3-manylinux_2_17_aarch64.whl"
		cp311          = "demo-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
		cp313abi3      = "demo-1.0-cp313-abi3-manylinux_2_17_x86_64.whl"
		pyNoneManylin  = "demo-1.0-py3-none-manylinux1_x86_64.whl"
		any3           = "demo-1.0-py3-none-any.whl"
		any23          = "demo-1.0-py2.py3-none-any.whl"
		any2           = "demo-1.0-py2-none-any.whl"
		py313          = "demo-1.0-py313-none-any.whl"
		cpNoneAny      = "demo-1.0-cp312-none-any.whl"
		cp312abi3Any   = "demo-1.0-cp312-abi3-any.whl"
		sdist          = "demo-1.0.tar.gz"
		build1, build2 = "demo-1.0-1-py3-none-any.whl", "demo-1.0-2-py3-none-any.whl"
		manylinux1     = "demo-1.0-cp312-cp312-manylinux1_x86_64.whl"
		manylinux1Arm  = "demo-1.0-cp312-cp312-manylinux1_aarch64.whl"
		win            = "demo-1.0-cp312-cp312-win_amd64.whl"
		mac            = "demo-1.0-cp312-cp312-macosx_11_0_arm64.whl"
	)
	amd64 := Target{Platform: "linux/amd64", Python: "3.12"}
	arm64 := Target{Platform: "linux/arm64", Python: "3.12"}
	musl := Target{Platform: "linux/amd64", Python: "3.12", Libc: Musl}
	armMusl := Target{Platform: "linux/arm64/v8", Python: "3.12", Libc: Musl}
	old := Target{Platform: "linux/amd64", Python: "3.12", LibcVersion: "2.27"}
	ft := Target{Platform: "linux/amd64", Python: "3.13", ABI: "cp313t"}
	for _, tc := range []struct {
		name   string
		target Target
		files  []string
		want   string // "" for no usable wheel
	}{
		{"own ABI before abi3 before pure", amd64, []string{any3, abi3, cpManylinux}, cpManylinux},
		{"abi3 before pure", amd64, []string{any3, abi3}, abi3},
		{"manylinux for glibc, not musllinux", amd64, []string{cpMusl, any3, cpManylinux}, cpManylinux},
		{"musllinux for musl, not manylinux", musl, []string{cpManylinux, cpMusl, any3}, cpMusl},
		{"musl falls back to pure Python", musl, []string{cpManylinux, any3}, any3},
		{"arm64 takes aarch64", arm64, []string{cpManylinux, cpArm, cpMusl, any3}, cpArm},
		{"arm64 with musl", armMusl, []string{cpManylinux, cpArm, cpArmMusl}, cpArmMusl},
		{"arm64 without an aarch64 wheel", arm64, []string{cpManylinux, abi3, any3}, any3},
		{"amd64 without an x86_64 wheel", amd64, []string{cpArm, abi3Arm}, ""},
		{"abi3 on arm64", arm64, []string{abi3, abi3Arm, any3}, abi3Arm},
		{"newest manylinux first", amd64, []string{cpManylinux, cpManylinux28}, cpManylinux28},
		{"a glibc bound refuses newer manylinux", old, []string{cpManylinux28, cpManylinux}, cpManylinux},
		{"a glibc bound with only newer wheels", old, []string{cpManylinux28}, ""},
		{"legacy manylinux1 is glibc 2.5", amd64, []string{manylinux1, any3}, manylinux1},
		{"manylinux1 never existed for aarch64", arm64, []string{manylinux1Arm}, ""},
		{"manylinux before plain linux", amd64, []string{cpLinux, cpManylinux}, cpManylinux},
		{"plain linux before abi3", amd64, []string{abi3, cpLinux}, cpLinux},
		{"cp311 wheel refused for 3.12", amd64, []string{cp311}, ""},
		{"cp311 wheel refused, pure taken", amd64, []string{cp311, any3}, any3},
		{"abi3 built for a newer Python refused", amd64, []string{cp313abi3}, ""},
		{"free-threaded takes no abi3", ft, []string{cp313abi3, any3}, any3},
		{"free-threaded takes abi3t", ft, []string{any3, cp313abi3, "demo-1.0-cp312-abi3t-manylinux_2_17_x86_64.whl"}, "demo-1.0-cp312-abi3t-manylinux_2_17_x86_64.whl"},
		{"py2.py3 accepted", amd64, []string{any23}, any23},
		{"py2 refused", amd64, []string{any2}, ""},
		{"py313 refused for 3.12", amd64, []string{py313}, ""},
		{"platform-specific none before any", amd64, []string{any3, pyNoneManylin}, pyNoneManylin},
		{"cp312-none-any before py3-none-any", amd64, []string{any3, cpNoneAny}, cpNoneAny},
		{"abi3 with platform any is no tag pip lists", amd64, []string{cp312abi3Any}, ""},
		{"higher build tag wins a tie", amd64, []string{build1, build2, any3}, build2},
		{"sdist never chosen", amd64, []string{sdist}, ""},
		{"sdist never chosen over a wheel", amd64, []string{sdist, any3}, any3},
		{"other operating systems", amd64, []string{win, mac}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pin, arts := locked(tc.files...)
			got, err := Select(pin, arts, tc.target)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("chose %s", got.Filename)
				}
				if !errors.Is(err, ErrNoWheel) {
					t.Fatalf("error is not ErrNoWheel: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Filename != tc.want {
				t.Errorf("chose %s, want %s", got.Filename, tc.want)
			}
			// The order files come in changes nothing.
			for i, j := 0, len(arts)-1; i < j; i, j = i+1, j-1 {
				arts[i], arts[j] = arts[j], arts[i]
			}
			if again, _ := Select(pin, arts, tc.target); again.Filename != got.Filename {
				t.Errorf("reversed input chose %s", again.Filename)
			}
		})
	}
}

func TestSelectErrors(t *testing.T) {
	pin, arts := locked("demo-1.0.tar.gz", "demo-1.0-cp312-cp312-manylinux_2_17_x86_64.whl")
	_, err := Select(pin, arts, Target{Platform: "linux/arm64", Python: "3.12"})
	var we *Error
	if !errors.As(err, &we) || !errors.Is(err, ErrNoWheel) {
		t.Fatalf("error %v is not a no-wheel *Error", err)
	}
	for _, want := range []string{"demo==1.0", "linux/arm64", "CPython 3.12", "demo-1.0.tar.gz (sdist)", "never builds sdists", "(other platform or Python)",
		"build one with `pip wheel` and put it in the lockfile's wheelhouse: folder (dist.yaml)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}

	// A file the lock does not pin is passed over, however good.
	pin, arts = locked("demo-1.0-py3-none-any.whl")
	arts = append(arts, source.Artifact{Filename: "demo-1.0-cp312-cp312-manylinux_2_17_x86_64.whl", Hash: "sha256:" + strings.Repeat("e", 64)})
	if got, err := Select(pin, arts, Target{Platform: "linux/amd64", Python: "3.12"}); err != nil || got.Filename != "demo-1.0-py3-none-any.whl" {
		t.Errorf("chose %q, %v", got.Filename, err)
	}
	pin.Hashes = []string{"sha256:" + strings.Repeat("f", 64)}
	if _, err := Select(pin, arts, Target{Platform: "linux/amd64", Python: "3.12"}); err == nil || !strings.Contains(err.Error(), "(not locked)") {
		t.Errorf("unlocked files: %v", err)
	}
	pin.Hashes = nil
	if _, err := Select(pin, arts, Target{Platform: "linux/amd64", Python: "3.12"}); err == nil || !strings.Contains(err.Error(), "no sha256") {
		t.Errorf("a pin without hashes: %v", err)
	}

	pin, arts = locked("demo-1.0-py3-none-any.whl")
	for _, bad := range []Target{
		{Platform: "windows/amd64", Python: "3.12"},
		{Platform: "linux/mips", Python: "3.12"},
		{Platform: "linux/amd64", Python: "3"},
		{Platform: "linux/amd64", Python: "3.12", Libc: "bionic"},
		{Platform: "linux/amd64", Python: "3.12", LibcVersion: "new"},
	} {
		if _, err := Select(pin, arts, bad); err == nil {
			t.Errorf("target %+v accepted", bad)
		}
	}
}

func TestPythonVersion(t *testing.T) {
	for _, tc := range []struct {
		paths []string
		want  string
	}{
		{[]string{"/usr/local/lib/python3.12/site-packages", "/usr/local/bin/python3.12"}, "3.12"},
		{[]string{"/usr/lib/python3/dist-packages", "/usr/bin/python3.11"}, "3.11"},
		{[]string{"/opt/venv/lib/python3.13t/site-packages"}, "3.13"},
		{[]string{"/usr/lib/python3/dist-packages", "/usr/bin/python3"}, ""},
		{[]string{"/srv/mypython3.12x/site-packages"}, ""},
	} {
		got, ok := PythonVersion(tc.paths...)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("PythonVersion(%q) = %q, %v; want %q", tc.paths, got, ok, tc.want)
		}
	}
}
