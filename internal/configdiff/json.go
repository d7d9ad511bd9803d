package configdiff

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/distbuild/dist/internal/fileerr"
)

// parseJSON walks the document with encoding/json's decoder rather than
// unmarshalling it, because only the decoder's offsets give each key a line,
// and only walking it sees a key written twice (Unmarshal keeps the last).
func parseJSON(path string, data []byte) (Config, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return nil, jsonError(path, data, err)
	}
	start := int(dec.InputOffset()) - len(raw)
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, &fileerr.Error{Path: path, Line: lineAt(data, int(dec.InputOffset())), Msg: "unexpected text after the JSON value"}
	}
	if raw[0] != '{' {
		return nil, &fileerr.Error{Path: path, Line: lineAt(data, start), Msg: "the top level is not an object"}
	}
	c := Config{}
	if err := walkJSON(c, path, "", data, start, raw, 0); err != nil {
		return nil, err
	}
	return c, nil
}

func jsonError(path string, data []byte, err error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return &fileerr.Error{Path: path, Line: lineAt(data, int(se.Offset)), Msg: se.Error(), Err: err}
	case errors.Is(err, io.EOF):
		return &fileerr.Error{Path: path, Line: 1, Msg: "no JSON value"}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &fileerr.Error{Path: path, Line: lineAt(data, len(data)), Msg: "unexpected end of JSON input"}
	}
	return fileerr.Wrap(path, 0, err)
}

// walkJSON flattens the object raw, which starts at byte base of data.
// raw has already been checked by the decoder, so errors here mean a key
// written twice.
func walkJSON(c Config, path, prefix string, data []byte, base int, raw []byte, depth int) error {
	if depth > maxDepth {
		// Each level decodes its object again, so depth costs time.
		return &fileerr.Error{Path: path, Line: lineAt(data, base), Msg: "objects nested too deeply"}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return jsonError(path, data, err)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return jsonError(path, data, err)
		}
		name, _ := tok.(string)
		key := join(prefix, name)
		// A key cannot hold a raw newline, so where it ends is its line.
		line := lineAt(data, base+int(dec.InputOffset()))
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return jsonError(path, data, err)
		}
		at := base + int(dec.InputOffset()) - len(v)
		var s string
		switch v[0] {
		case '{':
			var compact bytes.Buffer
			if err := json.Compact(&compact, v); err != nil {
				return jsonError(path, data, err)
			}
			if compact.String() != "{}" {
				if err := walkJSON(c, path, key, data, at, v, depth+1); err != nil {
					return err
				}
				continue
			}
			s = "{}"
		case '[':
			var compact bytes.Buffer
			if err := json.Compact(&compact, v); err != nil {
				return jsonError(path, data, err)
			}
			s = compact.String()
		case '"':
			if err := json.Unmarshal(v, &s); err != nil {
				return fileerr.Wrap(path, line, fmt.Errorf("%s: %w", key, err))
			}
		default:
			s = string(v) // a number as written, true, false or null
		}
		if err := c.set(path, key, Setting{Value: s, Line: line}); err != nil {
			return err
		}
	}
	return nil
}
