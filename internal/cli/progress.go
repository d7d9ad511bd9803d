package cli

import (
	"io"
	"os"
	"sync"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/distbuild/dist/internal/fetch"
)

// barProgress draws one byte-count bar for all downloads in flight; it is
// only used when stderr is a terminal, so logs and CI output stay clean.
type barProgress struct {
	mu    sync.Mutex
	bar   *progressbar.ProgressBar
	total int64
	w     io.Writer
}

func newProgress(w io.Writer) fetch.Progress {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return &barProgress{w: w}
}

func (p *barProgress) Start(name string, size int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if size < 0 {
		size = 0
	}
	p.total += size
	if p.bar == nil {
		p.bar = progressbar.NewOptions64(p.total, progressbar.OptionSetWriter(p.w), progressbar.OptionShowBytes(true),
			progressbar.OptionSetDescription("downloading"), progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(100_000_000))
		return
	}
	p.bar.ChangeMax64(p.total)
}

func (p *barProgress) Add(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		p.bar.Add64(n)
	}
}

func (p *barProgress) Done(string) {}
