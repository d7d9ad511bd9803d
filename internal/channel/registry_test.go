package channel

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/distbuild/dist/internal/referrers"
	"github.com/distbuild/dist/internal/testenv/registry"
)

// TestInProcess uses go-containerregistry's registry as
// registry.StartInProcess serves it: no referrers API, so records are
// listed under the "sha256-<hex>" fallback tags.
func TestInProcess(t *testing.T) {
	testFlow(t, registry.StartInProcess(t), true)
}

// TestReferrersAPI uses go-containerregistry's registry with its referrers
// API on: no fallback tag, so Scan finds records through the version and
// channel tags.
func TestReferrersAPI(t *testing.T) {
	srv := httptest.NewServer(ggcrregistry.New(
		ggcrregistry.Logger(log.New(io.Discard, "", 0)),
		ggcrregistry.WithReferrersSupport(true)))
	t.Cleanup(srv.Close)
	testFlow(t, strings.TrimPrefix(srv.URL, "http://"), false)
}

// TestDistribution28 uses the CNCF distribution registry 2.8, which has no
// referrers API.
func TestDistribution28(t *testing.T) {
	testFlow(t, registry.StartDistribution(t, registry.Options{}).Host, true)
}

var cfg = Config{{Name: "dev", Track: "main"}, {Name: "stage"}, {Name: "prod", From: "stage"}}

const ci = "CI <ci@example.org>"

// testFlow runs Loop's release flow on one registry: 1.0.0 moves dev,
// then goes to stage and prod; 1.1.0 moves dev; prod refuses it until it
// has been on stage; then stage and prod move.
func testFlow(t *testing.T, host string, fallback bool) {
	ctx := context.Background()
	repo, err := name.NewRepository(host+"/kinto/kinto-dist", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	push := func(tag string, platforms ...string) string {
		return registry.PushRandomImage(t, repo.Tag(tag).String(), platforms...)
	}
	d100 := push("1.0.0", "linux/amd64", "linux/arm64")
	d101 := push("1.0.1")
	d110 := push("1.1.0")
	push("1.2.0rc1")
	push("latest")
	var o Options
	t0 := time.Date(2024, 5, 2, 10, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }

	move := func(ch, v, d string, m int) *MoveResult {
		t.Helper()
		r, err := Move(ctx, repo, ch, v, d, ci, at(m), o)
		if err != nil {
			t.Fatalf("moving %s to %s: %v", ch, v, err)
		}
		if !r.Changed || r.Record == "" || r.Digest != d {
			t.Fatalf("moving %s to %s: %+v", ch, v, r)
		}
		checkTag(t, repo, ch, d)
		return r
	}
	wasOn := func(ch, d string) bool {
		t.Helper()
		ok, err := WasOn(ctx, repo, ch, d, o)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	status := func(names ...string) map[string]State {
		t.Helper()
		sts, err := Status(ctx, repo, cfg, names, o)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]State{}
		for _, st := range sts {
			m[st.Channel] = st
		}
		return m
	}

	// Before anything moved: every channel exists in the config only.
	before := status()
	for _, ch := range []string{"dev", "stage", "prod"} {
		if st := before[ch]; st.Digest != "" || st.Version != "" || len(st.History) != 0 || st.Key == "" {
			t.Errorf("%s before any move: %+v", ch, st)
		}
	}

	first := move("dev", "1.0.0", d100, 0)
	if first.PreviousDigest != "" || first.Key != before["dev"].Key || !first.Time.Equal(at(0)) || first.By != ci {
		t.Errorf("first move: %+v", first)
	}
	if wasOn("stage", d100) {
		t.Error("1.0.0 was on stage before anything moved stage")
	}
	move("stage", "1.0.0", d100, 1)
	if !wasOn("stage", d100) {
		t.Error("1.0.0 is on stage, WasOn says no")
	}
	move("prod", "1.0.0", d100, 2)
	move("dev", "1.1.0", d110, 3)

	// promote 1.1.0 prod is refused: it was never on stage.
	if wasOn("stage", d110) {
		t.Error("1.1.0 never was on stage, WasOn says it was")
	}
	if !wasOn("dev", d100) || !wasOn("dev", d110) {
		t.Error("dev held 1.0.0 then 1.1.0")
	}
	// A dry run writes nothing.
	dry, err := Move(ctx, repo, "stage", "1.1.0", d110, ci, at(4), Options{DryRun: true})
	if err != nil || !dry.Changed || dry.Record != "" || dry.PreviousDigest != d100 {
		t.Fatalf("dry run: %+v, %v", dry, err)
	}
	checkTag(t, repo, "stage", d100)

	mid := status()
	if st := mid["prod"]; st.Version != "1.0.0" || st.Digest != d100 || st.Behind == nil || *st.Behind != 0 || !st.Recorded {
		t.Errorf("prod, stage at the same version: %+v", st)
	}
	if st := mid["dev"]; st.Version != "1.1.0" || len(st.History) != 2 || st.Behind != nil || st.Track != "main" {
		t.Errorf("dev: %+v", st)
	}

	move("stage", "1.1.0", d110, 5)
	// prod is now two releases behind stage (1.0.1 and 1.1.0; the
	// release candidate does not count).
	if st := status("prod")["prod"]; st.Behind == nil || *st.Behind != 2 {
		t.Errorf("prod behind stage: %+v", st)
	}
	if !wasOn("stage", d100) || !wasOn("stage", d110) {
		t.Error("stage held 1.0.0 then 1.1.0")
	}
	move("prod", "1.1.0", d110, 6)

	// A move to where the channel already is does nothing.
	again, err := Move(ctx, repo, "prod", "1.1.0", d110, ci, at(7), o)
	if err != nil || again.Changed || again.Record != "" {
		t.Fatalf("moving prod again: %+v, %v", again, err)
	}

	after := status()
	if len(after) != 3 {
		t.Fatalf("status: %+v", after)
	}
	for _, ch := range []string{"dev", "stage", "prod"} {
		st := after[ch]
		if st.Version != "1.1.0" || st.Digest != d110 || !st.Recorded || st.Interrupted != nil || st.Key != before[ch].Key {
			t.Errorf("%s after the flow: %+v", ch, st)
		}
	}
	prod := after["prod"]
	if *prod.Behind != 0 || prod.By != ci || !prod.Moved.Equal(at(6)) {
		t.Errorf("prod: %+v", prod)
	}
	wantHist := []Record{
		{Channel: "prod", Version: "1.1.0", Digest: d110, PreviousDigest: d100, Time: at(6), By: ci, Completed: true},
		{Channel: "prod", Version: "1.0.0", Digest: d100, Time: at(2), By: ci, Completed: true},
	}
	if !sameRecords(prod.History, wantHist) {
		t.Errorf("prod history:\n%+v\nwant\n%+v", prod.History, wantHist)
	}
	hist, err := History(ctx, repo, "prod", o)
	if err != nil || !sameRecords(hist, wantHist) {
		t.Errorf("History(prod): %+v, %v", hist, err)
	}
	if len(status("stage")) != 1 {
		t.Error("status of one channel")
	}
	if _, err := Status(ctx, repo, cfg, []string{"qa"}, o); err == nil || !strings.Contains(err.Error(), `channel "qa"`) {
		t.Errorf("status of an unknown channel: %v", err)
	}

	// A move that stopped between its record and its tag: the record is
	// not completed, counts for nothing, and running the move again
	// completes it instead of recording it twice.
	rec, resumed, err := record(ctx, repo, repo.Digest(d101), Record{
		Channel: "stage", Version: "1.0.1", Digest: d101, PreviousDigest: d110, Time: at(8), By: ci,
	}, o)
	if err != nil || resumed {
		t.Fatal(rec, resumed, err)
	}
	st := status("stage")["stage"]
	if st.Version != "1.1.0" || st.Interrupted == nil || st.Interrupted.Record != rec.Record || st.Interrupted.Completed {
		t.Errorf("stage after an interrupted move: %+v", st)
	}
	if wasOn("stage", d101) {
		t.Error("an interrupted move counts as having been on stage")
	}
	done, err := Move(ctx, repo, "stage", "1.0.1", d101, "someone else", at(9), o)
	if err != nil || !done.Resumed || done.Record != rec.Record || !done.Time.Equal(at(8)) || done.By != ci {
		t.Fatalf("resuming: %+v, %v", done, err)
	}
	checkTag(t, repo, "stage", d101)
	st = status("stage")["stage"]
	if st.Version != "1.0.1" || st.Interrupted != nil || len(st.History) != 3 || !st.History[0].Completed {
		t.Errorf("stage after resuming: %+v", st)
	}
	if !wasOn("stage", d101) {
		t.Error("1.0.1 is on stage")
	}
	// Back to 1.1.0, then to 1.0.1 again: an old completed record of the
	// same move is not mistaken for an interrupted one.
	move("stage", "1.1.0", d110, 10)
	third := move("stage", "1.0.1", d101, 11)
	if third.Resumed || third.Record == rec.Record {
		t.Errorf("a completed move was resumed: %+v", third)
	}
	if st := status("stage")["stage"]; len(st.History) != 5 || st.History[0].Record != third.Record {
		t.Errorf("stage history: %+v", st.History)
	}

	// A tag moved by hand: no record says so; the version comes from the
	// version tag on the same image, and the last recorded move did
	// happen, since the channel left where it started.
	img, err := remote.Get(repo.Digest(d101))
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Tag(repo.Tag("prod"), img); err != nil {
		t.Fatal(err)
	}
	st = status("prod")["prod"]
	if st.Recorded || st.Version != "1.0.1" || st.Moved != nil || st.By != "" || st.Digest != d101 || st.Interrupted != nil || !st.History[0].Completed {
		t.Errorf("prod moved by hand: %+v", st)
	}
	if !wasOn("prod", d101) || !wasOn("prod", d110) {
		t.Error("prod names 1.0.1 now, and held 1.1.0")
	}

	// Errors.
	if _, err := Move(ctx, repo, "1.0", "1.0.0", d100, ci, at(12), o); err == nil || !strings.Contains(err.Error(), "looks like a version") {
		t.Errorf("a version-like channel: %v", err)
	}
	missing := "sha256:" + strings.Repeat("ab", 32)
	if _, err := Move(ctx, repo, "stage", "9.9.9", missing, ci, at(12), o); err == nil || !strings.Contains(err.Error(), "push the image first") {
		t.Errorf("an image not in the repository: %v", err)
	}
	if _, err := Move(ctx, repo, "stage", "9.9.9", "sha256:nothex", ci, at(12), o); err == nil {
		t.Error("a malformed digest was accepted")
	}
	empty, err := name.NewRepository(host+"/kinto/nothing", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if h, err := History(ctx, empty, "prod", o); err != nil || len(h) != 0 {
		t.Errorf("history of a repository that does not exist: %v, %v", h, err)
	}

	checkWithCrane(t, repo, d110, fallback)
}

func sameRecords(got, want []Record) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		g := got[i]
		if g.Record == "" {
			return false
		}
		g.Record = ""
		if !g.Time.Equal(want[i].Time) {
			return false
		}
		g.Time = want[i].Time
		if g != want[i] {
			return false
		}
	}
	return true
}

// checkTag reads a channel tag with crane when it is installed, with
// go-containerregistry otherwise.
func checkTag(t *testing.T, repo name.Repository, channel, want string) {
	t.Helper()
	if crane, err := exec.LookPath("crane"); err == nil {
		out, err := exec.Command(crane, "digest", repo.Tag(channel).String()).Output()
		if err != nil {
			t.Fatalf("crane digest %s: %v", repo.Tag(channel), err)
		}
		if got := strings.TrimSpace(string(out)); got != want {
			t.Errorf("crane digest %s = %s, want %s", repo.Tag(channel), got, want)
		}
		return
	}
	d, err := remote.Head(repo.Tag(channel))
	if err != nil || d.Digest.String() != want {
		t.Errorf("%s: %v %v, want %s", repo.Tag(channel), d, err, want)
	}
}

// checkWithCrane reads what Move wrote with another client, when crane is
// installed: the tags, and the move records attached to 1.1.0's image.
func checkWithCrane(t *testing.T, repo name.Repository, d110 string, fallback bool) {
	crane, err := exec.LookPath("crane")
	if err != nil {
		t.Log("crane not in PATH; skipping the check with crane")
		return
	}
	out, err := exec.Command(crane, "ls", repo.String()).Output()
	if err != nil {
		t.Fatalf("crane ls: %v", err)
	}
	tags := strings.Fields(string(out))
	for _, want := range []string{"1.0.0", "1.1.0", "dev", "stage", "prod"} {
		if !slices.Contains(tags, want) {
			t.Errorf("crane ls: no %s in %v", want, tags)
		}
	}
	fb := "sha256-" + strings.TrimPrefix(d110, "sha256:")
	if slices.Contains(tags, fb) != fallback {
		t.Errorf("crane ls: fallback tag %s present: %v, want %v", fb, !fallback, fallback)
	}
	// The records on 1.1.0: dev, stage (twice) and prod moved to it.
	subject := repo.Digest(d110)
	refs, err := referrers.List(subject)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range refs {
		if r.ArtifactType != ArtifactType {
			continue
		}
		n++
		out, err := exec.Command(crane, "manifest", repo.Digest(r.Digest).String()).Output()
		if err != nil {
			t.Fatalf("crane manifest: %v", err)
		}
		var m v1.Manifest
		if err := json.Unmarshal(out, &m); err != nil {
			t.Fatal(err)
		}
		if m.ArtifactType != ArtifactType || m.Subject == nil || m.Subject.Digest.String() != d110 ||
			len(m.Layers) != 1 || m.Annotations[AnnotationVersion] != "1.1.0" {
			t.Errorf("crane manifest of a record:\n%s", out)
		}
		blob, err := exec.Command(crane, "blob", repo.Digest(m.Layers[0].Digest.String()).String()).Output()
		if err != nil {
			t.Fatalf("crane blob: %v", err)
		}
		var p map[string]string
		if err := json.Unmarshal(blob, &p); err != nil {
			t.Fatalf("record payload %s: %v", blob, err)
		}
		if p["digest"] != d110 || p["version"] != "1.1.0" || p["by"] != ci || p["channel"] != m.Annotations[AnnotationChannel] {
			t.Errorf("record payload: %s", blob)
		}
		for _, k := range []string{"channel", "version", "digest", "previous_digest", "time", "by"} {
			if _, ok := p[k]; !ok {
				t.Errorf("record payload has no %s: %s", k, blob)
			}
		}
	}
	if n != 4 {
		t.Errorf("%d move records on 1.1.0, want 4 (dev, stage twice, prod)", n)
	}
}
