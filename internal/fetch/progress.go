package fetch

import "io"

// Progress is told about downloads so that the CLI can draw a progress
// bar; fetch itself never writes to the terminal. Implementations must be
// safe for concurrent use.
//
// A bar's percentage is only true when its total is known before the
// first byte: callers that know what they are about to fetch announce it
// with Client.Expect, which calls Expect once with every file not already
// in the cache. While announced files remain, only they are reported to
// Start; other downloads then go unreported, so that they cannot change
// the total. With nothing announced, every download is reported, with
// expected false: a bar then has no total to show.
type Progress interface {
	// Expect announces files downloads of bytes in total (-1 when the
	// index did not give every size), before any of them starts.
	Expect(files int, bytes int64)
	// Start is called as a download begins: name is its URL without
	// credentials, size its Content-Length (-1 when the server does not
	// say), expected whether an Expect counted it. The Transfer is told
	// each chunk of bytes, and once when the download ends, whether it
	// succeeded or not; an announced file found in the cache by then ends
	// at once with no bytes.
	Start(name string, size int64, expected bool) Transfer
}

// Transfer follows one download.
type Transfer interface {
	Add(n int64)
	Done()
}

// Planned is a download a caller is about to make, as it will ask for it:
// the URL and wanted digest given to Download, and the size the index
// gives (0 when it gives none).
type Planned struct {
	URL  string
	Want string
	Size int64
}

// Expect announces to Progress the downloads that follow, leaving out
// what the cache already holds and local files (which are copied, not
// downloaded), so that a bar knows its total before it starts. It does
// nothing without a Progress.
func (c *Client) Expect(files []Planned) {
	if c.Progress == nil {
		return
	}
	n, bytes := 0, int64(0)
	var names []string
	for _, f := range files {
		if c.cached(f.URL, f.Want) {
			continue
		}
		if _, local, _ := localPath(f.URL); local {
			continue
		}
		n++
		names = append(names, Redact(f.URL))
		if f.Size <= 0 || bytes < 0 {
			bytes = -1
		} else {
			bytes += f.Size
		}
	}
	if n == 0 {
		return
	}
	c.progressMu.Lock()
	if c.expected == nil {
		c.expected = map[string]int{}
	}
	for _, name := range names {
		c.expected[name]++
	}
	c.pending += n
	c.progressMu.Unlock()
	c.Progress.Expect(n, bytes)
}

// cached says whether Download would find rawURL in the cache without a
// request.
func (c *Client) cached(rawURL, want string) bool {
	if want != "" {
		_, ok := c.cache.Lookup(want)
		return ok
	}
	if d, ok := c.cache.lookupURL(rawURL); ok {
		_, ok := c.cache.Lookup(d)
		return ok
	}
	return false
}

// track starts following a download of name: announced ones always,
// others only while nothing announced is pending. It returns nil when the
// download is not to be reported.
func (c *Client) track(name string, size int64) Transfer {
	if c.Progress == nil {
		return nil
	}
	expected := c.claim(name)
	if !expected {
		c.progressMu.Lock()
		busy := c.pending > 0
		c.progressMu.Unlock()
		if busy {
			return nil
		}
	}
	t := c.Progress.Start(name, size, expected)
	if !expected {
		return t
	}
	return &pendingTransfer{Transfer: t, c: c}
}

// claim takes name off the announced downloads, reporting whether it was
// one.
func (c *Client) claim(name string) bool {
	c.progressMu.Lock()
	defer c.progressMu.Unlock()
	if c.expected[name] == 0 {
		return false
	}
	c.expected[name]--
	if c.expected[name] == 0 {
		delete(c.expected, name)
	}
	return true
}

// pendingTransfer counts an announced download as pending until it ends.
type pendingTransfer struct {
	Transfer
	c    *Client
	done bool
}

func (p *pendingTransfer) Done() {
	if p.done {
		return
	}
	p.done = true
	p.c.progressMu.Lock()
	p.c.pending--
	p.c.progressMu.Unlock()
	p.Transfer.Done()
}

type progressReader struct {
	r io.Reader
	t Transfer
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.t.Add(int64(n))
	return n, err
}
