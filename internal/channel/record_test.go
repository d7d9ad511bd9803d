package channel

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestRecordJSON: a first move has no previous digest, and its JSON (dist
// status --json's history) leaves the key out, as every empty optional
// field is; the stored payload keeps it, for the tools that read records.
func TestRecordJSON(t *testing.T) {
	r := Record{Channel: "stage", Version: "1.0.0", Digest: "sha256:" + strings.Repeat("a", 64), Time: time.Unix(0, 0).UTC(), By: "ci"}
	js, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(js), "previous_digest") {
		t.Errorf("first move: %s", js)
	}
	r.PreviousDigest = "sha256:" + strings.Repeat("b", 64)
	if js, _ = json.Marshal(r); !strings.Contains(string(js), `"previous_digest":"sha256:bbbb`) {
		t.Errorf("second move: %s", js)
	}
	r.PreviousDigest = ""
	a, err := r.artifact()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(a.Data), `"previous_digest":""`) {
		t.Errorf("payload: %s", a.Data)
	}
}
