// Package tour reads the console examples of a Markdown file (README.md), so
// that a test can run them in order and compare what they print with what
// the file shows, and rewrites the file's outputs from a real run.
//
// A console example is a fenced block whose info string is "console". Its
// lines are commands, each a line starting with "$ " (continued by lines
// starting with "> ", as a shell's PS2 shows them, or by a trailing
// backslash), each followed by the output it prints, stdout and stderr
// together as a terminal shows them. Within an output:
//
//   - a line that is only "..." stands for any number of lines (none too);
//   - a last line "[N]" is the command's exit code when it is not 0, as cram
//     prints it; without one the command must exit 0;
//   - hashes, dates, ports, durations and sizes match any value (Normalize).
//
// HTML comments directly above the fence say how to run it:
//
//	<!-- tour: in DIR -->            run the block in DIR (required, unless skipped)
//	<!-- tour: network -->           the block needs the Go module proxy
//	<!-- tour: skip REASON -->       do not run the block; REASON says why
//
// Several directives may share one comment, separated by ";".
package tour

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// Block is one console block.
type Block struct {
	// Line is the 1-based line of the opening fence.
	Line int
	// Indent is the fence's indentation, which the block's lines carry
	// (a block inside a list item).
	Indent string
	// Dir is where the block runs, from "in DIR"; Skip is the reason it is
	// not run, from "skip REASON". Exactly one is set.
	Dir, Skip string
	// Network is set by "network": the block needs the Go module proxy.
	Network  bool
	Commands []*Command
}

// Command is one "$ " line of a block and the output the file shows for it.
type Command struct {
	// Line is the 1-based line of the "$ " line.
	Line int
	// Text is the command, continuation lines joined with newlines (a
	// trailing backslash kept, which the shell reads as a continuation).
	Text string
	// Want is the output shown, without the exit line and without the
	// blank lines that separate it from the next command.
	Want []string
	// WantExit is the exit code shown by a last "[N]" line, else 0.
	WantExit int

	// The output's lines in the file are lines[outStart:outEnd] (0-based,
	// exit line included), followed by blank separator lines.
	outStart, outEnd, blanks int
	indent                   string
}

// File is a parsed Markdown file.
type File struct {
	Name   string
	Blocks []*Block
	lines  []string
}

// directiveRE matches a tour comment on a line of its own.
var directiveRE = regexp.MustCompile(`^\s*<!--\s*tour:\s*(.*?)\s*-->\s*$`)

// exitRE matches the exit line of an output.
var exitRE = regexp.MustCompile(`^\[(\d+)\]$`)

// ParseFile reads and parses the Markdown file at path.
func ParseFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Parse parses Markdown text; name is used in errors, which read
// "name:line: ...". A console block without an "in" or "skip" directive
// is an error, as is a directive that precedes no console block, so that no
// example goes unchecked by accident.
func Parse(name string, data []byte) (*File, error) {
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	f := &File{Name: name, lines: strings.Split(text, "\n")}
	var pending []directive
	var fence string // the open fence of a non-console block
	for i := 0; i < len(f.lines); i++ {
		line := f.lines[i]
		trimmed := strings.TrimSpace(line)
		if fence != "" {
			if strings.HasPrefix(trimmed, fence) && strings.Trim(trimmed, "`~") == "" {
				fence = ""
			}
			continue
		}
		if m := directiveRE.FindStringSubmatch(line); m != nil {
			for part := range strings.SplitSeq(m[1], ";") {
				d, err := parseDirective(strings.TrimSpace(part))
				if err != nil {
					return nil, fmt.Errorf("%s:%d: %v", name, i+1, err)
				}
				d.line = i + 1
				pending = append(pending, d)
			}
			continue
		}
		if trimmed == "" {
			continue
		}
		indent := line[:len(line)-len(strings.TrimLeft(line, " \t"))]
		if trimmed == "```console" {
			b, end, err := f.parseBlock(i, indent, pending)
			if err != nil {
				return nil, err
			}
			f.Blocks = append(f.Blocks, b)
			pending = nil
			i = end
			continue
		}
		if len(pending) > 0 {
			return nil, fmt.Errorf("%s:%d: a tour directive must come right before a ```console block", name, pending[0].line)
		}
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			fence = trimmed[:len(trimmed)-len(strings.TrimLeft(trimmed, "`~"))]
		}
	}
	if len(pending) > 0 {
		return nil, fmt.Errorf("%s:%d: a tour directive must come right before a ```console block", name, pending[0].line)
	}
	return f, nil
}

type directive struct {
	verb, arg string
	line      int
}

func parseDirective(s string) (directive, error) {
	verb, arg, _ := strings.Cut(s, " ")
	arg = strings.TrimSpace(arg)
	switch verb {
	case "in", "skip":
		if arg == "" {
			return directive{}, fmt.Errorf("tour: %s needs an argument", verb)
		}
	case "network":
		if arg != "" {
			return directive{}, fmt.Errorf("tour: network takes no argument")
		}
	default:
		return directive{}, fmt.Errorf("unknown tour directive %q (in DIR, network, skip REASON)", s)
	}
	return directive{verb: verb, arg: arg}, nil
}

// parseBlock parses the console block whose fence is at line i and returns
// it with the index of its closing fence.
func (f *File) parseBlock(i int, indent string, ds []directive) (*Block, int, error) {
	b := &Block{Line: i + 1, Indent: indent}
	for _, d := range ds {
		switch d.verb {
		case "in":
			b.Dir = d.arg
		case "skip":
			b.Skip = d.arg
		case "network":
			b.Network = true
		}
	}
	if (b.Dir == "") == (b.Skip == "") {
		return nil, 0, fmt.Errorf("%s:%d: a console block needs either <!-- tour: in DIR --> or <!-- tour: skip REASON --> above it", f.Name, b.Line)
	}
	end := -1
	for j := i + 1; j < len(f.lines); j++ {
		if strings.TrimSpace(f.lines[j]) == "```" {
			end = j
			break
		}
	}
	if end < 0 {
		return nil, 0, fmt.Errorf("%s:%d: console block not closed", f.Name, b.Line)
	}
	var cur *Command
	finish := func(j int) {
		if cur == nil {
			return
		}
		cur.outEnd = j
		// Blank lines before the next command separate; they are not output.
		for cur.outEnd > cur.outStart && strings.TrimSpace(f.lines[cur.outEnd-1]) == "" {
			cur.outEnd--
			cur.blanks++
		}
		for k := cur.outStart; k < cur.outEnd; k++ {
			cur.Want = append(cur.Want, strings.TrimRight(strings.TrimPrefix(f.lines[k], indent), " \t"))
		}
		if n := len(cur.Want); n > 0 {
			if m := exitRE.FindStringSubmatch(cur.Want[n-1]); m != nil {
				cur.WantExit, _ = strconv.Atoi(m[1])
				cur.Want = cur.Want[:n-1]
			}
		}
	}
	for j := i + 1; j < end; j++ {
		line := strings.TrimPrefix(f.lines[j], indent)
		if text, ok := strings.CutPrefix(line, "$ "); ok {
			finish(j)
			cur = &Command{Line: j + 1, Text: text, indent: indent}
			// Continuation lines: "> " after the command (PS2), or any
			// line after one that ends with a backslash.
			for j+1 < end {
				next := strings.TrimPrefix(f.lines[j+1], indent)
				if cont, ok := strings.CutPrefix(next, "> "); ok {
					cur.Text += "\n" + cont
				} else if strings.HasSuffix(cur.Text, "\\") {
					cur.Text += "\n" + next
				} else {
					break
				}
				j++
			}
			cur.outStart = j + 1
			b.Commands = append(b.Commands, cur)
			continue
		}
		if cur == nil && strings.TrimSpace(line) != "" {
			return nil, 0, fmt.Errorf("%s:%d: output before the first \"$ \" command of the block", f.Name, j+1)
		}
	}
	finish(end)
	if len(b.Commands) == 0 {
		return nil, 0, fmt.Errorf("%s:%d: console block without a \"$ \" command", f.Name, b.Line)
	}
	return b, end, nil
}

// Result is what a command printed when it ran: Output its lines (stdout
// and stderr together, as the file should show them), Exit its code.
type Result struct {
	Output []string
	Exit   int
}

// Check compares a command's result with the output the file shows, and
// returns whether they match and the output to write into the file for
// it: the real lines, with each "..." of the file kept where it still
// stands for lines of the result. When they do not match the whole result
// is returned, without elisions.
func (c *Command) Check(r Result) (ok bool, update []string) {
	matched, merged := Match(c.Want, r.Output)
	if !matched {
		merged = r.Output
	}
	return matched && r.Exit == c.WantExit, merged
}

// Update returns the file's text with each command's output replaced by
// updates[command]; commands not in updates keep theirs. An exit code other
// than 0 is written as a last "[N]" line.
func (f *File) Update(updates map[*Command]Result) []byte {
	type repl struct {
		start, end int
		lines      []string
	}
	var rs []repl
	for _, b := range f.Blocks {
		for _, c := range b.Commands {
			r, ok := updates[c]
			if !ok {
				continue
			}
			var lines []string
			for _, l := range r.Output {
				if l == "" {
					lines = append(lines, "")
				} else {
					lines = append(lines, c.indent+l)
				}
			}
			if r.Exit != 0 {
				lines = append(lines, c.indent+"["+strconv.Itoa(r.Exit)+"]")
			}
			rs = append(rs, repl{c.outStart, c.outEnd, lines})
		}
	}
	var out []string
	last := 0
	for _, r := range rs {
		out = append(out, f.lines[last:r.start]...)
		out = append(out, r.lines...)
		last = r.end
	}
	out = append(out, f.lines[last:]...)
	return []byte(strings.Join(out, "\n"))
}
