// Package ghapi is a local stand-in for the GitHub REST releases API, for
// tests: the GitHub API cannot be reached from here. It answers what
// api.github.com answers for the calls dist makes (GET /repos/{owner}/{repo};
// POST, GET and PATCH on /repos/{owner}/{repo}/releases), with the same
// status codes and error bodies: 401 for a bad token, 404 for an unknown
// repository, 403 for a token refused by the organization (Forbid), 422
// with code already_exists for a second release of a tag, and 5xx on
// demand.
package ghapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Release is a stored release.
type Release struct {
	ID      int64  `json:"id"`
	TagName string `json:"tag_name"`
	Name    string `json:"name"`
	Body    string `json:"body"`
	Draft   bool   `json:"draft"`
	HTMLURL string `json:"html_url"`
}

// Server is the fake API.
type Server struct {
	URL   string
	Token string
	Repo  string // owner/name

	mu       sync.Mutex
	releases []*Release
	fail     int
	// failAfter makes the next POST store the release and then answer 502,
	// like a gateway that timed out after the backend acted.
	failAfter int
	requests  []string
	forbidden map[string]string // token → 403 message
}

// New returns a server for one repository and token, not yet listening.
func New(repo, token string) *Server { return &Server{Repo: repo, Token: token} }

// Start serves on 127.0.0.1 until the test ends.
func Start(t testing.TB, repo, token string) *Server {
	s := New(repo, token)
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	s.URL = hs.URL
	return s
}

// FailNext makes the next n requests answer 500.
func (s *Server) FailNext(n int) { s.mu.Lock(); s.fail = n; s.mu.Unlock() }

// FailAfterCreate makes the next n creates succeed but answer 502.
func (s *Server) FailAfterCreate(n int) { s.mu.Lock(); s.failAfter = n; s.mu.Unlock() }

// Forbid makes every request with token answer 403 with message, as
// GitHub does for a valid token an organization refuses (SAML single
// sign-on not authorized, a fine-grained token without this repository).
func (s *Server) Forbid(token, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.forbidden == nil {
		s.forbidden = map[string]string{}
	}
	s.forbidden[token] = message
}

// Releases returns copies of the stored releases.
func (s *Server) Releases() []Release {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Release
	for _, r := range s.releases {
		out = append(out, *r)
	}
	return out
}

// Requests lists "METHOD PATH" of every request, in order.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

// Publish turns a draft into a published release, as a maintainer would.
func (s *Server) Publish(tag string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.releases {
		if r.TagName == tag {
			r.Draft = false
		}
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func apiError(w http.ResponseWriter, status int, msg string, errs ...map[string]string) {
	body := map[string]any{"message": msg, "documentation_url": "https://docs.github.com/rest/releases/releases"}
	if len(errs) > 0 {
		body["errors"] = errs
	}
	writeJSON(w, status, body)
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r.Method+" "+r.URL.Path)
	if s.fail > 0 {
		s.fail--
		apiError(w, http.StatusInternalServerError, "Server Error")
		return
	}
	auth := r.Header.Get("Authorization")
	for tok, msg := range s.forbidden {
		if auth == "Bearer "+tok || auth == "token "+tok {
			apiError(w, http.StatusForbidden, msg)
			return
		}
	}
	if auth != "Bearer "+s.Token && auth != "token "+s.Token {
		apiError(w, http.StatusUnauthorized, "Bad credentials")
		return
	}
	if r.URL.Path == "/repos/"+s.Repo && r.Method == http.MethodGet {
		owner, name, _ := strings.Cut(s.Repo, "/")
		writeJSON(w, http.StatusOK, map[string]any{
			"id": 1, "name": name, "full_name": s.Repo, "private": false,
			"owner":       map[string]any{"login": owner},
			"html_url":    "https://github.com/" + s.Repo,
			"permissions": map[string]bool{"admin": false, "maintain": false, "push": true, "triage": true, "pull": true},
		})
		return
	}
	prefix := "/repos/" + s.Repo + "/releases"
	if !strings.HasPrefix(r.URL.Path, prefix) {
		apiError(w, http.StatusNotFound, "Not Found")
		return
	}
	rest := strings.TrimPrefix(r.URL.Path, prefix)
	switch {
	case rest == "" && r.Method == http.MethodGet:
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
		if page < 1 {
			page = 1
		}
		if per < 1 {
			per = 30
		}
		// Newest first, as GitHub lists them.
		var all []*Release
		for i := len(s.releases) - 1; i >= 0; i-- {
			all = append(all, s.releases[i])
		}
		lo, hi := min((page-1)*per, len(all)), min(page*per, len(all))
		out := all[lo:hi]
		if out == nil {
			out = []*Release{}
		}
		writeJSON(w, http.StatusOK, out)
	case rest == "" && r.Method == http.MethodPost:
		var in Release
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.TagName == "" {
			apiError(w, http.StatusUnprocessableEntity, "Validation Failed", map[string]string{"resource": "Release", "code": "missing_field", "field": "tag_name"})
			return
		}
		for _, e := range s.releases {
			if e.TagName == in.TagName && !e.Draft {
				apiError(w, http.StatusUnprocessableEntity, "Validation Failed", map[string]string{"resource": "Release", "code": "already_exists", "field": "tag_name"})
				return
			}
		}
		in.ID = int64(len(s.releases) + 1)
		in.HTMLURL = fmt.Sprintf("https://github.com/%s/releases/tag/untagged-%d", s.Repo, in.ID)
		s.releases = append(s.releases, &in)
		if s.failAfter > 0 {
			s.failAfter--
			apiError(w, http.StatusBadGateway, "Server Error")
			return
		}
		writeJSON(w, http.StatusCreated, in)
	case strings.HasPrefix(rest, "/") && r.Method == http.MethodPatch:
		id, _ := strconv.ParseInt(strings.TrimPrefix(rest, "/"), 10, 64)
		for _, e := range s.releases {
			if e.ID == id {
				var in map[string]any
				json.NewDecoder(r.Body).Decode(&in)
				if b, ok := in["body"].(string); ok {
					e.Body = b
				}
				if n, ok := in["name"].(string); ok {
					e.Name = n
				}
				writeJSON(w, http.StatusOK, e)
				return
			}
		}
		apiError(w, http.StatusNotFound, "Not Found")
	default:
		apiError(w, http.StatusNotFound, "Not Found")
	}
}
