// Package jsonfmt writes the JSON dist prints and records: one format for
// --json output, release.json and dist diff --json.
package jsonfmt

import (
	"bytes"
	"encoding/json"
)

// Indent is v as JSON indented by two spaces, ending in a newline, with <,
// > and & written as they are: requirements, markers and commands are full
// of them, and escaping them is for HTML, which would show other tools the
// escapes. Errors are encoding/json's.
func Indent(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
