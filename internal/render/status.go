package render

// Status is what rendering does, or would do, to one output: what
// dist config render --json reports.
type Status struct {
	Template string `json:"template"` // as in dist.yaml, slash-separated
	Path     string `json:"file"`     // the output, as in dist.yaml
	// Changed is true when the file on disk differs from the render or is
	// missing: render writes it, --check fails on it.
	Changed bool `json:"changed"`
	Missing bool `json:"missing,omitempty"`
	// Diff is the unified diff from the file on disk to the render, ""
	// when unchanged.
	Diff string `json:"diff,omitempty"`
}

// Compare compares each output with its file on disk, as Check does, and
// returns one Status per output, in order.
func Compare(outputs []Output) ([]Status, error) {
	drifts, err := Check(outputs)
	if err != nil {
		return nil, err
	}
	byPath := map[string]Drift{}
	for _, d := range drifts {
		byPath[d.Path] = d
	}
	out := make([]Status, 0, len(outputs))
	for _, o := range outputs {
		d, changed := byPath[o.Path]
		out = append(out, Status{Template: o.Template, Path: o.Path, Changed: changed, Missing: d.Missing, Diff: d.Diff})
	}
	return out, nil
}
