package wheel

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// script is one console_scripts or gui_scripts entry point.
type script struct {
	name, module, attr string
}

const identifier = `[\pL_][\pL\pN_]*`

var (
	// An object reference, "module.sub:attr.sub [extra1, extra2]"; the
	// extras matter to pip's resolver, not to the script.
	objectRef = regexp.MustCompile(`^(` + identifier + `(?:\.` + identifier + `)*)\s*:\s*(` + identifier + `(?:\.` + identifier + `)*)\s*(?:\[[^\[\]]*\])?$`)
	// A script's name becomes a file name in the bin directory, so it may
	// hold no '/' and is held to the characters the specification
	// recommends.
	scriptName = regexp.MustCompile(`^[\pL\pN_.+-]+$`)
)

// parseEntryPoints reads entry_points.txt, an INI file as the entry points
// specification describes it ('=' the only delimiter, '#' and ';' comments,
// case-sensitive keys), and returns its console and GUI scripts, each list
// sorted by name. Anything configparser would refuse, or a script without a
// callable, or a name that cannot be a file name, is an error: pip would
// either fail with a traceback or write a script that cannot run.
func parseEntryPoints(text string) (console, gui []script, err error) {
	section := ""
	seen := map[string]string{} // script name -> its section
	for i, line := range strings.Split(text, "\n") {
		n := i + 1
		line = strings.TrimSpace(line)
		if i == 0 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' {
			if !strings.HasSuffix(line, "]") || len(line) < 3 {
				return nil, nil, fmt.Errorf("line %d: bad section header %q", n, line)
			}
			section = strings.TrimSpace(line[1 : len(line)-1])
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			return nil, nil, fmt.Errorf("line %d: %q is neither a [section] nor name = value", n, line)
		}
		if section == "" {
			return nil, nil, fmt.Errorf("line %d: entry %q comes before any [section]", n, line)
		}
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		if key == "" {
			return nil, nil, fmt.Errorf("line %d: entry without a name", n)
		}
		if section != "console_scripts" && section != "gui_scripts" {
			continue
		}
		if !scriptName.MatchString(key) || key == "." || key == ".." {
			return nil, nil, fmt.Errorf("line %d: [%s] %q cannot be a script's file name", n, section, key)
		}
		if prev, dup := seen[key]; dup {
			return nil, nil, fmt.Errorf("line %d: script %q is defined twice (also in [%s])", n, key, prev)
		}
		seen[key] = section
		m := objectRef.FindStringSubmatch(value)
		if m == nil {
			return nil, nil, fmt.Errorf("line %d: [%s] %s = %q is not module:callable", n, section, key, value)
		}
		s := script{name: key, module: m[1], attr: m[2]}
		if section == "console_scripts" {
			console = append(console, s)
		} else {
			gui = append(gui, s)
		}
	}
	byName := func(l []script) { sort.Slice(l, func(i, j int) bool { return l[i].name < l[j].name }) }
	byName(console)
	byName(gui)
	return console, gui, nil
}

// text is the wrapper pip writes for an entry point (distlib's template):
// the same bytes, so that an image and a pip install agree file for file.
// On Linux, console and GUI scripts are alike.
func (s script) text(shebang string) []byte {
	importName, _, _ := strings.Cut(s.attr, ".")
	return []byte(shebang +
		"# -*- coding: utf-8 -*-\n" +
		"import re\n" +
		"import sys\n" +
		"from " + s.module + " import " + importName + "\n" +
		"if __name__ == '__main__':\n" +
		"    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n" +
		"    sys.exit(" + s.attr + "())\n")
}

// shebang is the first line of a generated script. Linux reads at most 127
// bytes of "#!" lines on older kernels; longer interpreter paths go through
// /bin/sh, the way pip does it: the lines sh runs are string literals to
// Python, and the last one runs into the script's first line as in pip's.
func shebang(interpreter string) string {
	if len(interpreter)+3 <= 127 {
		return "#!" + interpreter + "\n"
	}
	return "#!/bin/sh\n'''exec' " + interpreter + " \"$0\" \"$@\"\n' '''"
}
