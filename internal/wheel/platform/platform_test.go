package platform

import "testing"

func TestParseLinux(t *testing.T) {
	for tag, want := range map[string]string{
		"manylinux_2_17_x86_64":  "manylinux_2_17_x86_64",
		"manylinux_2_5_i686":     "manylinux_2_5_i686",
		"musllinux_1_2_aarch64":  "musllinux_1_2_aarch64",
		"manylinux1_x86_64":      "manylinux_2_5_x86_64",
		"manylinux2010_i686":     "manylinux_2_12_i686",
		"manylinux2014_aarch64":  "manylinux_2_17_aarch64",
		"manylinux2014_ppc64le":  "manylinux_2_17_ppc64le",
		"manylinux_2_28_armv7l":  "manylinux_2_28_armv7l",
		"manylinux_2_35_riscv64": "manylinux_2_35_riscv64",
		// Not a promise about a libc.
		"linux_x86_64":        "",
		"macosx_11_0_arm64":   "",
		"win_amd64":           "",
		"any":                 "",
		"manylinux_2_x86_64":  "",
		"manylinux_2_17_":     "",
		"manylinux2014":       "",
		"manylinux2014_":      "",
		"manylinux3_x86_64":   "",
		"musllinux1_x86_64":   "",
		"manylinux1_aarch64":  "", // defined for x86_64 and i686 only
		"manylinux2010_s390x": "",
		"manylinux_2_99999999999999999999_x86_64": "",
	} {
		l, ok := ParseLinux(tag)
		got := ""
		if ok {
			got = l.String()
		}
		if got != want {
			t.Errorf("ParseLinux(%q) = %q, %v; want %q", tag, got, ok, want)
		}
	}
	if l, _ := ParseLinux("manylinux2014_x86_64"); l != (Linux{"manylinux", 2, 17, "x86_64"}) {
		t.Errorf("fields: %+v", l)
	}
}
