package sbom

import "strings"

// validExpression reports whether s has the syntax of an SPDX license
// expression (SPDX 2.3 Annex D):
//
//	expression = term *( ("AND" / "OR") term )
//	term       = "(" expression ")" / license [ "WITH" exception ]
//	license    = idstring [ "+" ] / [ "DocumentRef-" idstring ":" ] "LicenseRef-" idstring
//
// It checks the syntax only, not that an identifier is on the SPDX license
// list: metadata that says "Apache 2.0" or "BSD License" fails (a space
// between two identifiers), while "MIT" and "Apache-2.0 OR MIT" pass.
// Operators are matched case-sensitively, as Annex D asks.
func validExpression(s string) bool {
	p := &exprParser{toks: tokenize(s)}
	if p.toks == nil || !p.expression() {
		return false
	}
	return p.pos == len(p.toks)
}

type exprParser struct {
	toks []string
	pos  int
}

func (p *exprParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *exprParser) expression() bool {
	if !p.term() {
		return false
	}
	for p.peek() == "AND" || p.peek() == "OR" {
		p.pos++
		if !p.term() {
			return false
		}
	}
	return true
}

func (p *exprParser) term() bool {
	if p.peek() == "(" {
		p.pos++
		if !p.expression() || p.peek() != ")" {
			return false
		}
		p.pos++
		return true
	}
	if !licenseID(p.peek(), true) {
		return false
	}
	p.pos++
	if p.peek() == "WITH" {
		p.pos++
		if !licenseID(p.peek(), false) {
			return false
		}
		p.pos++
	}
	return true
}

// licenseID accepts an idstring (letters, digits, "." and "-"), with a
// trailing "+" where plus is allowed, or a [DocumentRef-x:]LicenseRef-y.
func licenseID(tok string, plus bool) bool {
	switch tok {
	case "", "AND", "OR", "WITH", "(", ")":
		return false
	}
	if doc, ref, ok := strings.Cut(tok, ":"); ok {
		return strings.HasPrefix(doc, "DocumentRef-") && idstring(doc) &&
			strings.HasPrefix(ref, "LicenseRef-") && idstring(ref)
	}
	if plus {
		tok = strings.TrimSuffix(tok, "+")
	}
	return idstring(tok)
}

func idstring(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// tokenize splits on white space and around parentheses; nil for an empty
// expression.
func tokenize(s string) []string {
	s = strings.NewReplacer("(", " ( ", ")", " ) ").Replace(s)
	return strings.Fields(s)
}
