package gitrepo

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing/object"
)

// Ident is who makes a commit or tag, resolved the way git does, so that a
// release commit made by dist and one made by `git commit` in the same shell
// carry the same names:
//
//  1. GIT_AUTHOR_NAME / GIT_AUTHOR_EMAIL (GIT_COMMITTER_* for the
//     committer and for a tagger, as git uses the committer for tags);
//  2. git config author.* / committer.*, then user.name / user.email;
//  3. $EMAIL for the address;
//  4. a fallback: $USER (or "dist") at the host name. git would refuse
//     here; dist prefers a recognisable identity to a failed release, and
//     prerelease can surface the fallback as a warning.
//
// The time is GIT_AUTHOR_DATE / GIT_COMMITTER_DATE when set (the Unix
// "@SECONDS +ZONE", RFC 3339 and RFC 2822 forms), otherwise the clock.
// fallback reports whether step 4 was used.
func (r *Repo) Ident(committer bool) (sig object.Signature, fallback bool, err error) {
	role := "AUTHOR"
	if committer {
		role = "COMMITTER"
	}
	cfg, err := r.config()
	if err != nil {
		return sig, false, fmt.Errorf("read git config: %w", err)
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
	if name == "" || email == "" {
		fallback = true
		user := r.getenv("USER")
		if user == "" {
			user = "dist"
		}
		host, _ := os.Hostname()
		if host == "" {
			host = "localhost"
		}
		pick(&name, user)
		pick(&email, user+"@"+host)
	}
	// git strips these from identities: they would break the header line.
	clean := strings.NewReplacer("<", "", ">", "", "\n", " ")
	sig.Name, sig.Email = clean.Replace(name), clean.Replace(email)

	sig.When = r.now()
	if d := r.getenv("GIT_" + role + "_DATE"); d != "" {
		t, err := parseGitDate(d)
		if err != nil {
			return sig, fallback, fmt.Errorf("GIT_%s_DATE: %w", role, err)
		}
		sig.When = t
	}
	return sig, fallback, nil
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
