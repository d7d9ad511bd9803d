// Package github drafts releases through the GitHub REST API (or a GitHub
// Enterprise server's, at another base URL). It finds an existing release
// for the tag before creating one, so that a re-run after a failure never
// makes a second draft.
package github

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"strings"
	"time"

	"github.com/distbuild/dist/internal/failure"
	"github.com/distbuild/dist/internal/fetch"
	"github.com/distbuild/dist/internal/redact"
)

// DefaultAPI is github.com's API.
const DefaultAPI = "https://api.github.com"

// Client talks to one repository's releases.
type Client struct {
	API   string // base URL
	Repo  string // owner/name
	Token string
	// TokenEnv names where Token came from ("GITHUB_TOKEN", or dist.yaml's
	// github.token_env), for messages; optional.
	TokenEnv string
	// HTTP sends the requests; when nil, a client with Timeout. Either
	// way, the token is sent only to the API's own origin (scheme, host
	// and port), never after a redirect elsewhere.
	HTTP *http.Client
	// Timeout bounds each request, reading the answer included, when HTTP
	// is nil; DefaultTimeout when 0.
	Timeout time.Duration
	// Wait is the pause before retrying a 5xx; tests shorten it.
	Wait time.Duration
}

// DefaultTimeout bounds each API request.
const DefaultTimeout = 60 * time.Second

// Release is the part of GitHub's release object dist reads and writes.
type Release struct {
	ID      int64  `json:"id,omitempty"`
	TagName string `json:"tag_name"`
	Name    string `json:"name"`
	Body    string `json:"body"`
	Draft   bool   `json:"draft"`
	HTMLURL string `json:"html_url,omitempty"`
}

// APIError is a non-2xx answer. Its message never holds the token.
type APIError struct {
	Method, URL string
	Status      int
	Message     string
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("%s %s: %d %s", e.Method, e.URL, e.Status, http.StatusText(e.Status))
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.Status == http.StatusUnauthorized {
		msg += " (check the token)"
	}
	return msg
}

func (c *Client) api() string {
	api := strings.TrimRight(c.API, "/")
	if api == "" {
		api = DefaultAPI
	}
	return api
}

func (c *Client) url(path string) string {
	return c.api() + "/repos/" + c.Repo + path
}

// ErrNoToken: the client has no token, so it can draft nothing.
var ErrNoToken = errors.New("no GitHub token")

// AccessError is CheckRepository's answer when GitHub refuses the
// repository to the token (401, 403 or 404): its message says which
// repository and what to do, never the token. It unwraps to the
// *APIError.
type AccessError struct {
	Repo   string // owner/name
	Status int    // 401, 403 or 404
	msg    string
	Err    *APIError
}

func (e *AccessError) Error() string { return e.msg }
func (e *AccessError) Unwrap() error { return e.Err }

func (c *Client) tokenName() string {
	if c.TokenEnv != "" {
		return "the token in " + c.TokenEnv
	}
	return "the token"
}

// CheckRepository reads the repository with the token (GET
// /repos/{owner}/{repo}), so that a release can find out before it tags
// anything that the draft would fail: no token is ErrNoToken; a token
// GitHub rejects (401), one it refuses this repository (403), or a
// repository it cannot see (404: GitHub's answer for a private repository
// the token has no access to, too) is an *AccessError naming the
// repository and saying what to fix. 5xx answers are retried. It cannot
// tell whether the token may write releases: GitHub says that only when
// one is created.
func (c *Client) CheckRepository(ctx context.Context) error {
	if c.Token == "" {
		env := c.TokenEnv
		if env == "" {
			env = "GITHUB_TOKEN"
		}
		return fmt.Errorf("%w for %s: set %s", ErrNoToken, c.Repo, env)
	}
	var repo struct {
		FullName string `json:"full_name"`
	}
	err := c.retry(ctx, func() error {
		return c.do(ctx, http.MethodGet, c.url(""), nil, &repo)
	})
	var ae *APIError
	if !errors.As(err, &ae) {
		if err != nil {
			return fmt.Errorf("GitHub repository %s: %w", c.Repo, err)
		}
		return nil
	}
	detail := fmt.Sprintf("%d %s", ae.Status, http.StatusText(ae.Status))
	if ae.Message != "" {
		detail += ": " + ae.Message
	}
	var msg string
	switch ae.Status {
	case http.StatusUnauthorized:
		msg = fmt.Sprintf("GitHub rejected %s for %s (%s): the token is wrong, expired or revoked; set a valid one", c.tokenName(), c.Repo, detail)
	case http.StatusForbidden:
		msg = fmt.Sprintf("GitHub refused %s access to %s (%s): the token lacks access to this repository (a fine-grained token must include it; an organization with SAML single sign-on must have authorized the token), or it hit a rate limit", c.tokenName(), c.Repo, detail)
	case http.StatusNotFound:
		msg = fmt.Sprintf("GitHub repository %s not found at %s (%s): check github.repository in dist.yaml (and github.api_url for GitHub Enterprise), or %s lacks access to this private repository", c.Repo, redact.URL(c.api()), detail, c.tokenName())
	default:
		return fmt.Errorf("GitHub repository %s: %w", c.Repo, err)
	}
	return &AccessError{Repo: c.Repo, Status: ae.Status, msg: msg, Err: ae}
}

// do sends one request; 5xx answers and dropped connections are retried
// by the caller, which knows whether a retry is safe.
func (c *Client) do(ctx context.Context, method, url string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	// github.api_url may hold a password: nothing printed shows it, even
	// when the URL does not parse.
	shown := redact.URL(url)
	secrets := redact.Secrets(url)
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return failure.Usagef("%s %s: not a valid URL (check github.api_url)", method, shown)
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	req.Header.Set("Authorization", "Bearer "+c.Token)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	var h http.Client
	if c.HTTP != nil {
		h = *c.HTTP
	} else {
		h.Timeout = c.Timeout
		if h.Timeout == 0 {
			h.Timeout = DefaultTimeout
		}
	}
	if check := h.CheckRedirect; check != nil {
		h.CheckRedirect = func(req *http.Request, via []*http.Request) error {
			if err := fetch.SameOriginAuth(req, via); err != nil {
				return err
			}
			return check(req, via)
		}
	} else {
		h.CheckRedirect = fetch.SameOriginAuth
	}
	resp, err := h.Do(req)
	if err != nil {
		if ue := (*neturl.Error)(nil); errors.As(err, &ue) {
			err = ue.Err
			if ue.Timeout() {
				err = fmt.Errorf("timed out after %s: %w", h.Timeout, err)
			}
		}
		if len(secrets) == 0 {
			return fmt.Errorf("%s %s: %w", method, shown, err)
		}
		return fmt.Errorf("%s %s: %s", method, shown, redact.String(err.Error(), secrets...))
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		var e struct {
			Message string `json:"message"`
			Errors  []struct {
				Code string `json:"code"`
			} `json:"errors"`
		}
		json.Unmarshal(data, &e)
		msg := e.Message
		for _, x := range e.Errors {
			msg += " (" + x.Code + ")"
		}
		if c.Token != "" {
			msg = strings.ReplaceAll(msg, c.Token, "***")
		}
		return &APIError{Method: method, URL: shown, Status: resp.StatusCode, Message: msg}
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

func retryable(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status >= 500
	}
	return err != nil && !errors.Is(err, context.Canceled)
}

// FindByTag returns the release (draft or not) for a tag, or nil. Drafts
// have no tag yet in GitHub's eyes, so the list is searched, not
// /releases/tags/TAG.
func (c *Client) FindByTag(ctx context.Context, tag string) (*Release, error) {
	for page := 1; page <= 10; page++ {
		var rs []Release
		err := c.retry(ctx, func() error {
			return c.do(ctx, http.MethodGet, fmt.Sprintf("%s?per_page=100&page=%d", c.url("/releases"), page), nil, &rs)
		})
		if err != nil {
			return nil, err
		}
		for i := range rs {
			if rs[i].TagName == tag {
				return &rs[i], nil
			}
		}
		if len(rs) < 100 {
			break
		}
	}
	return nil, nil
}

func (c *Client) retry(ctx context.Context, f func() error) error {
	wait := c.Wait
	if wait == 0 {
		wait = time.Second
	}
	var err error
	for attempt := 0; attempt < 4; attempt++ {
		if err = f(); !retryable(err) {
			return err
		}
		select {
		case <-time.After(wait << attempt):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return err
}

// Outcome says what EnsureDraft did.
type Outcome string

// Outcomes.
const (
	Created Outcome = "created"
	Updated Outcome = "updated"
	Existed Outcome = "existed"
)

// EnsureDraft makes sure a release exists for tag: it creates a draft, or
// updates the body of an existing draft, and leaves a published release
// alone. A create that failed with 5xx is retried only after checking
// that the first attempt did not land after all.
func (c *Client) EnsureDraft(ctx context.Context, tag, name, body string) (*Release, Outcome, error) {
	if c.Token == "" {
		return nil, "", ErrNoToken
	}
	existing, err := c.FindByTag(ctx, tag)
	if err != nil {
		return nil, "", err
	}
	if existing != nil {
		if !existing.Draft || existing.Body == body {
			return existing, Existed, nil
		}
		var out Release
		err := c.retry(ctx, func() error {
			return c.do(ctx, http.MethodPatch, c.url(fmt.Sprintf("/releases/%d", existing.ID)), map[string]any{"body": body, "name": name}, &out)
		})
		return &out, Updated, err
	}
	in := Release{TagName: tag, Name: name, Body: body, Draft: true}
	var out Release
	err = c.retry(ctx, func() error {
		err := c.do(ctx, http.MethodPost, c.url("/releases"), in, &out)
		if retryable(err) {
			if r, ferr := c.FindByTag(ctx, tag); ferr == nil && r != nil {
				out = *r
				return nil
			}
		}
		var ae *APIError
		if errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity && strings.Contains(ae.Message, "already_exists") {
			if r, ferr := c.FindByTag(ctx, tag); ferr == nil && r != nil {
				out = *r
				return nil
			}
		}
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return &out, Created, nil
}
