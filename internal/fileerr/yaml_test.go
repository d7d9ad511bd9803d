package fileerr

import "testing"

func TestFromYAML(t *testing.T) {
	for msg, want := range map[string]string{
		"yaml: line 3: did not find expected key":     "c.yaml:3: did not find expected key",
		"line 7: cannot unmarshal !!str `x` into int": "c.yaml:7: cannot unmarshal !!str `x` into int",
		"yaml: control characters are not allowed":    "c.yaml: control characters are not allowed",
		"yaml: line 99999999999999999999: too far":    "c.yaml: line 99999999999999999999: too far",
		"unknown anchor 'a' referenced":               "c.yaml: unknown anchor 'a' referenced",
	} {
		if got := FromYAML("c.yaml", msg).Error(); got != want {
			t.Errorf("FromYAML(%q) = %q, want %q", msg, got, want)
		}
	}
}
