package deps

import (
	"testing"

	"github.com/distbuild/dist/internal/wheel"
)

func TestWheelLicense(t *testing.T) {
	meta := func(fields string) []wheel.File {
		return []wheel.File{
			{Path: "/usr/lib/python3/site-packages/x/__init__.py", Data: []byte("")},
			{Path: "/usr/lib/python3/site-packages/x-1.0.dist-info/METADATA", Data: []byte("Metadata-Version: 2.4\nName: x\nVersion: 1.0\n" + fields + "\n\nDescription here.\n")},
		}
	}
	for fields, want := range map[string]string{
		"License-Expression: MIT OR Apache-2.0\nLicense: ignored": "MIT OR Apache-2.0",
		"License: Apache 2.0": "Apache 2.0",
		"License: UNKNOWN\nClassifier: License :: OSI Approved :: MIT License\nClassifier: Programming Language :: Python": "MIT License",
		"Classifier: Framework :: Pyramid": "",
	} {
		if got := wheelLicense(meta(fields)); got != want {
			t.Errorf("%q: %q, want %q", fields, got, want)
		}
	}
	if got := wheelLicense(nil); got != "" {
		t.Errorf("no files: %q", got)
	}
	broken := []wheel.File{{Path: "/s/x-1.0.dist-info/METADATA", Data: []byte("not metadata")}}
	if got := wheelLicense(broken); got != "" {
		t.Errorf("broken metadata: %q", got)
	}
}
