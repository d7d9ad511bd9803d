package pypi

import (
	"context"
	"errors"
	"sync"
)

// flight loads each key once for the life of a Source, however many
// callers ask at the same time: the first caller loads, the others wait for
// its result. Failures are not remembered, so that a later call may
// succeed.
type flight[V any] struct {
	mu    sync.Mutex
	calls map[string]*call[V]
}

type call[V any] struct {
	done chan struct{}
	val  V
	err  error
}

func (f *flight[V]) do(ctx context.Context, key string, load func() (V, error)) (V, error) {
	var zero V
	for {
		f.mu.Lock()
		if f.calls == nil {
			f.calls = map[string]*call[V]{}
		}
		c, ok := f.calls[key]
		if !ok {
			c = &call[V]{done: make(chan struct{})}
			f.calls[key] = c
			f.mu.Unlock()
			func() {
				defer close(c.done)
				c.val, c.err = load()
				if c.err != nil {
					f.mu.Lock()
					delete(f.calls, key)
					f.mu.Unlock()
				}
			}()
			return c.val, c.err
		}
		f.mu.Unlock()
		select {
		case <-c.done:
		case <-ctx.Done():
			return zero, ctx.Err()
		}
		if c.err == nil {
			return c.val, nil
		}
		// The caller that loaded may have been cancelled while this one was
		// not: then load again rather than hand over its cancellation.
		if ctx.Err() != nil || !(errors.Is(c.err, context.Canceled) || errors.Is(c.err, context.DeadlineExceeded)) {
			return zero, c.err
		}
	}
}
