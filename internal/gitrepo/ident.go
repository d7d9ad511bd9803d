package gitrepo

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing/object"
)

// ErrNoIdentity is wrapped by the error of Ident, and so of Commit and
// CreateAnnotatedTag, when no name or no email address is configured:
// git refuses to commit then ("Please tell me who you are"), and so does
// dist, rather than write an invented identity into a release's history.
var ErrNoIdentity = errors.New("git identity unknown")

// IdentityError says which part of which identity is missing and how to
// set it. It wraps ErrNoIdentity.
type IdentityError struct {
	Role    string   // "author" or "committer" (a tagger is the committer)
	Missing []string // "name", "email"
}

func (e *IdentityError) Error() string {
	role := strings.ToUpper(e.Role[:1]) + e.Role[1:]
	upper := strings.ToUpper(e.Role)
	return fmt.Sprintf(`%s identity unknown (no %s: set user.name and user.email in git config, or GIT_%s_NAME and GIT_%s_EMAIL)

*** Please tell me who you are.

Run

  git config --global user.email "you@example.com"
  git config --global user.name "Your Name"

to set your account's default identity.
Omit --global to set the identity only in this repository.`,
		role, strings.Join(e.Missing, " or "), upper, upper)
}

// Is makes errors.Is(err, ErrNoIdentity) true.
func (e *IdentityError) Is(target error) bool { return target == ErrNoIdentity }

// Ident is who makes a commit or tag, resolved the way git does, so that a
// release commit made by dist and one made by `git commit` in the same shell
// carry the same names:
//
//  1. GIT_AUTHOR_NAME / GIT_AUTHOR_EMAIL (GIT_COMMITTER_* for the
//     committer and for a tagger, as git uses the committer for tags);
//  2. git config author.* / committer.*, then user.name / user.email
//     (the repository's, the user's, the system's);
//  3. $EMAIL for the address.
//
// When the name or the address is still unknown, Ident fails with an
// *IdentityError (errors.Is ErrNoIdentity) that says how to set them, as
// `git commit` does; dist never invents one (git's guess from the host
// name is refused by git itself on most machines).
//
// The time is GIT_AUTHOR_DATE / GIT_COMMITTER_DATE when set (the Unix
// "@SECONDS +ZONE", RFC 3339 and RFC 2822 forms), otherwise the clock.
func (r *Repo) Ident(committer bool) (object.Signature, error) {
	var sig object.Signature
	role := "AUTHOR"
	if committer {
		role = "COMMITTER"
	}
	cfg, err := r.config()
	if err != nil {
		return sig, fmt.Errorf("read git config: %w", err)
	}
	name, email := r.getenv("GIT_"+role+"_NAME"), r.getenv("GIT_"+role+"_EMAIL")
	pick := func(cur *string, vals ...string) {
		for _, v := range vals {
			if *cur == "" {
				*cur = strings.TrimSpace(v)
			}
		}
	}
	if committer {
		pick(&name, cfg.Committer.Name, cfg.User.Name)
		pick(&email, cfg.Committer.Email, cfg.User.Email)
	} else {
		pick(&name, cfg.Author.Name, cfg.User.Name)
		pick(&email, cfg.Author.Email, cfg.User.Email)
	}
	pick(&email, r.getenv("EMAIL"))
	// git strips these from identities: they would break the header line.
	clean := strings.NewReplacer("<", "", ">", "", "\n", " ")
	sig.Name, sig.Email = strings.TrimSpace(clean.Replace(name)), strings.TrimSpace(clean.Replace(email))
	var missing []string
	if sig.Name == "" {
		missing = append(missing, "name")
	}
	if sig.Email == "" {
		missing = append(missing, "email")
	}
	if len(missing) > 0 {
		return sig, &IdentityError{Role: strings.ToLower(role), Missing: missing}
	}

	sig.When = r.now()
	if d := r.getenv("GIT_" + role + "_DATE"); d != "" {
		t, err := parseGitDate(d)
		if err != nil {
			return sig, fmt.Errorf("GIT_%s_DATE: %w", role, err)
		}
		sig.When = t
	}
	return sig, nil
}

// CheckIdentity fails as Commit and CreateAnnotatedTag would for want of
// an author or committer identity (errors.Is ErrNoIdentity), so that a
// release can refuse before it changes anything.
func (r *Repo) CheckIdentity() error {
	for _, committer := range []bool{false, true} {
		if _, err := r.Ident(committer); err != nil {
			return err
		}
	}
	return nil
}

// parseGitDate reads the date forms people put in GIT_*_DATE.
func parseGitDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	raw := strings.TrimPrefix(s, "@")
	if secs, zone, ok := strings.Cut(raw, " "); ok || raw != s {
		if n, err := strconv.ParseInt(secs, 10, 64); err == nil {
			loc := time.UTC
			if ok {
				z, err := time.Parse("-0700", strings.TrimSpace(zone))
				if err != nil {
					return time.Time{}, fmt.Errorf("bad zone in %q", s)
				}
				loc = z.Location()
			}
			return time.Unix(n, 0).In(loc), nil
		}
	}
	for _, layout := range []string{time.RFC3339, time.RFC1123Z, "Mon, 2 Jan 2006 15:04:05 -0700", "2006-01-02 15:04:05 -0700", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("unrecognised date %q (use \"@SECONDS +0000\" or RFC 3339)", s)
}
