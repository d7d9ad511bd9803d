package release

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/distbuild/dist/internal/failure"
)

// Step is one part of a release, as a goreleaser pipe is: a name and Run,
// which does the work and says what it did in one line. The runner gives
// every step the same outcomes; a step says which apply to it by being
// also:
//
//   - a Skipper, when it may not apply (--skip, --no-push, no image);
//   - a Doner, when it can tell that an earlier run did its work;
//   - a Previewer, when it changes anything: under --dry-run the runner
//     asks Preview instead of calling Run. A step that is not a Previewer
//     only looks (every check) and runs under --dry-run as well;
//   - an Undoer, when a failure later in the same run should take its
//     work back (the tag, while nothing has been pushed).
//
// Run may also return AlreadyDone when it finds out only by doing it.
type Step interface {
	Name() string
	Run(ctx context.Context) (string, error)
}

// Skipper is a step that may not apply: Skip says why, "" to run it.
type Skipper interface {
	Skip() string
}

// Doner is a step that can tell its work is already done, and says so.
type Doner interface {
	Done(ctx context.Context) (what string, done bool, err error)
}

// Previewer is a step that changes something: Preview says, in one line
// starting "would", what Run would do; under --dry-run it is asked
// instead of Run.
type Previewer interface {
	Preview() string
}

// Undoer is a step whose work a later failure in the same run takes back.
// Undo says what it did; it knows when it can no longer undo (a tag that
// may have been pushed) and says so instead.
type Undoer interface {
	Undo(ctx context.Context) (string, error)
}

// AlreadyDone is returned by Run when the work turned out to be done
// already (a GitHub draft that an earlier run made).
func AlreadyDone(what string) error { return alreadyDone(what) }

type alreadyDone string

func (a alreadyDone) Error() string { return string(a) }

// refusal is a check's verdict: the reasons not to go on. Every check runs
// and every reason is reported together.
type refusal []string

func (r refusal) Error() string { return strings.Join(r, "; ") }

func refuse(format string, args ...any) error { return refusal{fmt.Sprintf(format, args...)} }

// Outcome is what became of a step.
type Outcome string

// The outcomes a step can have.
const (
	Ran     Outcome = "ran"
	Skipped Outcome = "skipped"
	Done    Outcome = "done"    // an earlier run did it
	DryRun  Outcome = "dry-run" // --dry-run: Detail says what would be done
	Refused Outcome = "refused" // a check that found a reason not to go on
	Failed  Outcome = "failed"
	Undone  Outcome = "undone" // ran, then taken back after a later failure
)

// StepResult is one step's outcome, in the order the steps ran.
type StepResult struct {
	Name string `json:"name"`
	// Check is true for the checks made before anything changes.
	Check   bool    `json:"check,omitempty"`
	Outcome Outcome `json:"outcome"`
	Detail  string  `json:"detail,omitempty"`
	Error   string  `json:"error,omitempty"`
}

// runner runs checks, then steps, for one command, and records every
// outcome in the report.
type runner struct {
	env    *Env
	report *Report
}

// run runs every check, gathering every reason to refuse, then, when none
// refused, every step in order. The first step that fails stops the run,
// and the steps that ran are undone, newest first, where they can be.
// Under --dry-run a refusal does not stop the plan from being shown; the
// refusal is still the result.
func (r *runner) run(ctx context.Context, checks, steps []Step) error {
	var reasons []string
	for _, c := range checks {
		if err := r.one(ctx, c, true); err != nil {
			var why refusal
			if !errors.As(err, &why) {
				return err
			}
			reasons = append(reasons, why...)
		}
	}
	refused := func() error {
		if len(reasons) == 0 {
			return nil
		}
		return failure.Check(&Refusal{Step: r.report.Command, Reasons: reasons})
	}
	if len(reasons) > 0 && !r.env.DryRun {
		return refused()
	}
	var ran []Step
	for _, s := range steps {
		if err := r.one(ctx, s, false); err != nil {
			r.undo(ctx, ran)
			return err
		}
		if r.report.Steps[len(r.report.Steps)-1].Outcome == Ran {
			ran = append(ran, s)
		}
	}
	return refused()
}

// one runs a step and records its outcome; the kill point for the crash
// tests comes after each step (not after a check, which changes nothing).
func (r *runner) one(ctx context.Context, s Step, check bool) error {
	res := StepResult{Name: s.Name(), Check: check}
	err := r.outcome(ctx, s, &res)
	r.report.Steps = append(r.report.Steps, res)
	r.log(res)
	if err == nil && !check {
		r.env.afterStep(s.Name())
	}
	return err
}

func (r *runner) outcome(ctx context.Context, s Step, res *StepResult) error {
	if sk, ok := s.(Skipper); ok {
		if why := sk.Skip(); why != "" {
			res.Outcome, res.Detail = Skipped, why
			return nil
		}
	}
	if d, ok := s.(Doner); ok {
		what, done, err := d.Done(ctx)
		if err != nil {
			res.Outcome, res.Error = Failed, err.Error()
			return err
		}
		if done {
			res.Outcome, res.Detail = Done, what
			return nil
		}
	}
	if p, ok := s.(Previewer); ok && r.env.DryRun {
		res.Outcome, res.Detail = DryRun, p.Preview()
		return nil
	}
	detail, err := s.Run(ctx)
	var done alreadyDone
	var why refusal
	switch {
	case errors.As(err, &done):
		res.Outcome, res.Detail = Done, string(done)
		return nil
	case errors.As(err, &why):
		res.Outcome, res.Detail = Refused, why.Error()
	case err != nil:
		res.Outcome, res.Detail, res.Error = Failed, detail, err.Error()
	default:
		res.Outcome, res.Detail = Ran, detail
	}
	return err
}

func (r *runner) undo(ctx context.Context, ran []Step) {
	for i := len(ran) - 1; i >= 0; i-- {
		u, ok := ran[i].(Undoer)
		if !ok {
			continue
		}
		what, err := u.Undo(ctx)
		for j := range r.report.Steps {
			st := &r.report.Steps[j]
			if st.Name != ran[i].Name() || st.Check || st.Outcome != Ran {
				continue
			}
			if err != nil {
				st.Error = "undo: " + err.Error()
				r.env.logf("%s: could not be undone: %v", st.Name, err)
			} else if what != "" {
				st.Outcome, st.Detail = Undone, what
				r.env.logf("%s: %s", st.Name, what)
			}
		}
	}
}

// log prints one line per outcome; why a step failed is left to the
// error the command prints.
func (r *runner) log(res StepResult) {
	name := res.Name
	if res.Check {
		name = "check " + name
	}
	switch res.Outcome {
	case Skipped:
		r.env.logf("%s: skipped (%s)", name, res.Detail)
	case Refused:
		// The first line: the whole reason is in the error, on stderr.
		first, _, _ := strings.Cut(res.Detail, "\n")
		r.env.logf("%s: refused: %s", name, first)
	case Failed:
		// Why is the error's to say, on stderr.
		r.env.logf("%s: failed", name)
	default:
		r.env.logf("%s: %s", name, res.Detail)
	}
}
