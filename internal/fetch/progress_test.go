package fetch

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// recorder is a Progress that writes down what it is told.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) add(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, fmt.Sprintf(format, args...))
}

func (r *recorder) Expect(files int, bytes int64) { r.add("expect %d %d", files, bytes) }

func (r *recorder) Start(name string, size int64, expected bool) Transfer {
	r.add("start %s %d %v", name[strings.LastIndexByte(name, '/')+1:], size, expected)
	return &recTransfer{r: r, name: name[strings.LastIndexByte(name, '/')+1:]}
}

type recTransfer struct {
	r    *recorder
	name string
	n    int64
}

func (t *recTransfer) Add(n int64) { t.n += n }
func (t *recTransfer) Done()       { t.r.add("done %s %d", t.name, t.n) }

func (r *recorder) take() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := strings.Join(r.events, "\n")
	r.events = nil
	return s
}

// TestExpectTotalUpFront: the total a bar is given covers exactly the
// files that will be downloaded, before the first starts; while they are
// pending no other download is reported, so the total cannot grow.
func TestExpectTotalUpFront(t *testing.T) {
	files := map[string][]byte{"/a.whl": []byte("aaaa"), "/b.whl": []byte("bbbbbbbb"), "/c.whl": []byte("cc"), "/page": []byte("p")}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(files[r.URL.Path])
	}))
	defer srv.Close()
	c := newClient(t, 1)
	rec := &recorder{}
	c.Progress = rec
	ctx := context.Background()
	get := func(path string, want string) {
		t.Helper()
		if _, err := c.Download(ctx, srv.URL+path, want); err != nil {
			t.Fatal(err)
		}
	}
	// Nothing announced: reported, with no total.
	get("/c.whl", digest(files["/c.whl"]))
	if got, want := rec.take(), "start c.whl 2 false\ndone c.whl 2"; got != want {
		t.Errorf("unannounced:\n%s\nwant\n%s", got, want)
	}

	// c.whl is cached: not counted.
	c.Expect([]Planned{
		{URL: srv.URL + "/a.whl", Want: digest(files["/a.whl"]), Size: 4},
		{URL: srv.URL + "/b.whl", Want: digest(files["/b.whl"]), Size: 8},
		{URL: srv.URL + "/c.whl", Want: digest(files["/c.whl"]), Size: 2},
	})
	get("/a.whl", digest(files["/a.whl"]))
	get("/page", "") // not announced: not reported while a batch is pending
	get("/b.whl", digest(files["/b.whl"]))
	get("/c.whl", digest(files["/c.whl"]))
	if got, want := rec.take(), "expect 2 12\nstart a.whl 4 true\ndone a.whl 4\nstart b.whl 8 true\ndone b.whl 8"; got != want {
		t.Errorf("announced:\n%s\nwant\n%s", got, want)
	}

	// A size the index does not give makes the byte total unknown; an
	// announced file that is in the cache by the time it is asked for
	// ends at once, so the count still completes.
	delete(files, "/page")
	files["/d.whl"] = []byte("dd")
	c.Expect([]Planned{{URL: srv.URL + "/d.whl", Want: digest(files["/d.whl"])}, {URL: srv.URL + "/d.whl", Want: digest(files["/d.whl"]), Size: 2}})
	get("/d.whl", digest(files["/d.whl"]))
	get("/d.whl", digest(files["/d.whl"]))
	get("/a.whl", "") // the batch is over: reported again
	if got, want := rec.take(), "expect 2 -1\nstart d.whl 2 true\ndone d.whl 2\nstart d.whl 0 true\ndone d.whl 0\nstart a.whl 4 false\ndone a.whl 4"; got != want {
		t.Errorf("second batch:\n%s\nwant\n%s", got, want)
	}

	// Everything cached: nothing to announce.
	c.Expect([]Planned{{URL: srv.URL + "/a.whl", Want: digest(files["/a.whl"]), Size: 4}})
	if got := rec.take(); got != "" {
		t.Errorf("all cached: %s", got)
	}
}

// TestExpectFailedDownloadEnds: an announced download that fails still
// ends, so that the batch does not hide later downloads.
func TestExpectFailedDownloadEnds(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	c := newClient(t, 1)
	rec := &recorder{}
	c.Progress = rec
	c.Expect([]Planned{{URL: srv.URL + "/gone.whl", Want: digest([]byte("x")), Size: 1}})
	if _, err := c.Download(context.Background(), srv.URL+"/gone.whl", digest([]byte("x"))); !IsNotFound(err) {
		t.Fatalf("got %v", err)
	}
	if got, want := rec.take(), "expect 1 1\nstart gone.whl 0 true\ndone gone.whl 0"; got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if c.pending != 0 {
		t.Errorf("%d pending", c.pending)
	}
}
