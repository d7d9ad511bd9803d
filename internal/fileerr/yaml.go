package fileerr

import (
	"regexp"
	"strconv"
	"strings"
)

// yamlLine is how go.yaml.in/yaml/v3 places a problem in its messages:
// "yaml: line 3: did not find expected key", and each message of a
// *yaml.TypeError, "line 7: cannot unmarshal !!str `x` into int".
var yamlLine = regexp.MustCompile(`^line (\d+): (.*)$`)

// FromYAML is the Error for one message of go.yaml.in/yaml/v3 about path:
// the message's "line N: " becomes Line, its "yaml: " prefix goes. A
// message that names no line gives Line 0.
func FromYAML(path, msg string) *Error {
	msg = strings.TrimPrefix(msg, "yaml: ")
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		if line, err := strconv.Atoi(m[1]); err == nil {
			return &Error{Path: path, Line: line, Msg: m[2]}
		}
	}
	return &Error{Path: path, Msg: msg}
}
