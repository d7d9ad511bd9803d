package regclient

import (
	"context"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// RemoteOptions are go-containerregistry options that talk to reg the way
// the Client does (its transport with dist's plain-HTTP rule and retries,
// the credentials it resolved, its puller and pusher), for packages that
// call remote themselves: referrers and sign. Their errors should go
// through Wrap, which scrubs the credentials from them.
func (c *Client) RemoteOptions(ctx context.Context, reg name.Registry) ([]remote.Option, error) {
	cn, err := c.conn(ctx, reg)
	if err != nil {
		return nil, err
	}
	return []remote.Option{remote.Reuse(cn.puller), remote.Reuse(cn.pusher), remote.WithContext(ctx)}, nil
}

// Wrap gives an error from a remote call made with RemoteOptions what the
// Client's own errors have: "what: " before it, a *Error that unwraps to
// ErrNotFound or ErrUnauthorized, the advice on credentials, and no
// secret of reg's in its text. Nil stays nil.
func (c *Client) Wrap(ctx context.Context, what string, reg name.Registry, err error) error {
	if err == nil {
		return nil
	}
	cn, cerr := c.conn(ctx, reg)
	if cerr != nil {
		return cerr
	}
	return cn.wrap(ctx, what, reg.RegistryStr(), err)
}
