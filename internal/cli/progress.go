package cli

import (
	"fmt"
	"io"
	"sync"

	"github.com/schollz/progressbar/v3"

	"github.com/distbuild/dist/internal/fetch"
)

// console is stderr as dist's progress and logs use it: lines (the steps
// of a long command, and -v's log) on any stderr, and at most one bar,
// drawn only when stderr is a terminal so that logs and CI output stay
// clean. A line clears the bar first, so that the two never share a line.
type console struct {
	mu   sync.Mutex
	w    io.Writer
	term bool
	bar  *progressbar.ProgressBar
	gen  int // counts bars, so that a replaced bar's meter goes quiet
}

// printf writes one line.
func (c *console) printf(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bar != nil {
		c.bar.Clear()
	}
	fmt.Fprintf(c.w, format+"\n", args...)
}

// meter is one bar's hold on the console; once another bar has replaced
// it, it changes nothing.
type meter struct {
	c   *console
	gen int
}

// startBar replaces any bar with a new one counting bytes (or, when
// bytes is false, files) up to max; max < 0 counts without a total, for
// work whose size is not known before it starts. Without a terminal it
// draws nothing.
func (c *console) startBar(what string, max int64, bytes bool) meter {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if !c.term {
		return meter{c, c.gen}
	}
	if c.bar != nil {
		c.bar.Finish()
	}
	opts := []progressbar.Option{progressbar.OptionSetWriter(c.w), progressbar.OptionSetDescription(what),
		progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(100_000_000)}
	if bytes {
		opts = append(opts, progressbar.OptionShowBytes(true))
	} else {
		opts = append(opts, progressbar.OptionShowCount())
	}
	c.bar = progressbar.NewOptions64(max, opts...)
	return meter{c, c.gen}
}

// do runs f on the bar when m still holds it.
func (m meter) do(f func(*progressbar.ProgressBar)) {
	if m.c == nil {
		return
	}
	m.c.mu.Lock()
	defer m.c.mu.Unlock()
	if m.c.gen == m.gen && m.c.bar != nil {
		f(m.c.bar)
	}
}

func (m meter) add(n int64) { m.do(func(b *progressbar.ProgressBar) { b.Add64(n) }) }
func (m meter) set(n int64) { m.do(func(b *progressbar.ProgressBar) { b.Set64(n) }) }

// finish clears the bar.
func (m meter) finish() {
	m.do(func(b *progressbar.ProgressBar) {
		b.Finish()
		m.c.bar = nil
	})
}

// downloads draws fetch's downloads: an announced batch (fetch.Client.
// Expect) as a bar with its total known from the start, in bytes when the
// index gave every size and in files otherwise; downloads nobody announced
// as a count of bytes with no total, since any total would grow as they
// start and its percentage would lie.
type downloads struct {
	c *console

	mu          sync.Mutex
	files, done int   // the announced batch
	bytes       int64 // its size, -1 unknown
	batch       meter
	open        int // unannounced downloads in flight
	loose       meter
}

func (d *downloads) Expect(files int, bytes int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.done == d.files {
		d.files, d.done, d.bytes = 0, 0, 0
	}
	d.files += files
	if bytes < 0 || d.bytes < 0 {
		d.bytes = -1
	} else {
		d.bytes += bytes
	}
	if d.bytes >= 0 {
		if d.files == files {
			d.batch = d.c.startBar("downloading", d.bytes, true)
		} else {
			d.batch.do(func(b *progressbar.ProgressBar) { b.ChangeMax64(d.bytes) })
		}
		return
	}
	d.batch = d.c.startBar("downloading", int64(d.files), false)
	d.batch.set(int64(d.done))
}

func (d *downloads) Start(name string, size int64, expected bool) fetch.Transfer {
	d.mu.Lock()
	defer d.mu.Unlock()
	if expected {
		return &transfer{d: d, m: d.batch, expected: true, bytes: d.bytes >= 0}
	}
	if d.open == 0 {
		d.loose = d.c.startBar("downloading", -1, true)
	}
	d.open++
	return &transfer{d: d, m: d.loose, bytes: true}
}

type transfer struct {
	d        *downloads
	m        meter
	expected bool
	bytes    bool
	ended    bool
}

func (t *transfer) Add(n int64) {
	if t.bytes && n > 0 {
		t.m.add(n)
	}
}

func (t *transfer) Done() {
	d := t.d
	d.mu.Lock()
	defer d.mu.Unlock()
	if t.ended {
		return
	}
	t.ended = true
	if !t.expected {
		if d.open--; d.open == 0 {
			t.m.finish()
		}
		return
	}
	d.done++
	if !t.bytes {
		t.m.set(int64(d.done))
	}
	if d.done == d.files {
		t.m.finish()
	}
}

// byteCounter counts bytes written out (an image pushed or copied from the
// cache) on a bar with no total, started at the first byte.
type byteCounter struct {
	c    *console
	what string

	mu      sync.Mutex
	started bool
	m       meter
}

func (b *byteCounter) add(n int64) {
	// A retried upload rewinds (n < 0); the bar shows bytes sent, so
	// only forward counts.
	if n <= 0 {
		return
	}
	b.mu.Lock()
	if !b.started {
		b.started = true
		b.m = b.c.startBar(b.what, -1, true)
	}
	m := b.m
	b.mu.Unlock()
	m.add(n)
}

func (b *byteCounter) finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.m.finish()
}
