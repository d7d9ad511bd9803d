package configdiff

import (
	"strings"
	"testing"
	"time"
)

// billionLaughs is the classic alias bomb: nine levels of nine aliases
// each, about 387 million values from a few hundred bytes.
const billionLaughs = `a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
`

// The same with mappings, which are flattened rather than printed.
const mappingLaughs = `a: &a {k1: lol, k2: lol, k3: lol, k4: lol, k5: lol, k6: lol, k7: lol, k8: lol, k9: lol}
b: &b {k1: *a, k2: *a, k3: *a, k4: *a, k5: *a, k6: *a, k7: *a, k8: *a, k9: *a}
c: &c {k1: *b, k2: *b, k3: *b, k4: *b, k5: *b, k6: *b, k7: *b, k8: *b, k9: *b}
d: &d {k1: *c, k2: *c, k3: *c, k4: *c, k5: *c, k6: *c, k7: *c, k8: *c, k9: *c}
e: &e {k1: *d, k2: *d, k3: *d, k4: *d, k5: *d, k6: *d, k7: *d, k8: *d, k9: *d}
f: &f {k1: *e, k2: *e, k3: *e, k4: *e, k5: *e, k6: *e, k7: *e, k8: *e, k9: *e}
g: &g {k1: *f, k2: *f, k3: *f, k4: *f, k5: *f, k6: *f, k7: *f, k8: *f, k9: *f}
h: &h {k1: *g, k2: *g, k3: *g, k4: *g, k5: *g, k6: *g, k7: *g, k8: *g, k9: *g}
i: &i {k1: *h, k2: *h, k3: *h, k4: *h, k5: *h, k6: *h, k7: *h, k8: *h, k9: *h}
`

func TestAliasBomb(t *testing.T) {
	for name, doc := range map[string]string{"sequences": billionLaughs, "mappings": mappingLaughs} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			_, err := parse("conf/app.yaml", []byte(doc))
			if err == nil || !strings.HasPrefix(err.Error(), "conf/app.yaml") || !strings.Contains(err.Error(), "alias") {
				t.Fatalf("want an error naming the file and the aliases, got %v", err)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %v to refuse", d)
			}
		})
	}
	// Aliases that stay within the bound still work.
	c, err := parse("ok.yaml", []byte("base: &b [1, 2]\nx: *b\nm: &m {k: v}\ny: *m\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c["x"].Value != "[1,2]" || c["y.k"].Value != "v" {
		t.Errorf("aliases: %+v", c)
	}
}

func TestInputSizeBound(t *testing.T) {
	old := MaxInputSize
	MaxInputSize = 1000
	t.Cleanup(func() { MaxInputSize = old })
	big := strings.Repeat("k = v\n", 200)
	for _, p := range []string{"big.ini", "big.env", "big.yaml", "big.toml", "big.json"} {
		if _, err := parse(p, []byte(big)); err == nil || !strings.HasPrefix(err.Error(), p) || !strings.Contains(err.Error(), "larger than the 1000") {
			t.Errorf("%s: %v", p, err)
		}
	}
	if _, err := parse("small.ini", []byte("k = v\n")); err != nil {
		t.Error(err)
	}
}
