package release

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// fake is a step whose every part the test sets; calls records what the
// runner asked of it.
type fake struct {
	name    string
	skip    string
	done    bool
	preview string
	run     func() (string, error)
	undo    func() (string, error)
	calls   *[]string
}

func (f *fake) Name() string { return f.name }

func (f *fake) Run(context.Context) (string, error) {
	*f.calls = append(*f.calls, "run "+f.name)
	if f.run == nil {
		return "did " + f.name, nil
	}
	return f.run()
}

// skipping, doing, previewing and undoing fakes implement one interface
// more each.
type skipping struct{ *fake }

func (s skipping) Skip() string { return s.skip }

type doing struct{ *fake }

func (d doing) Done(context.Context) (string, bool, error) {
	*d.calls = append(*d.calls, "done? "+d.name)
	return d.name + " was done", d.done, nil
}

type previewing struct{ *fake }

func (p previewing) Preview() string { return p.preview }

type undoing struct{ *fake }

func (u undoing) Preview() string { return "would " + u.name }

func (u undoing) Undo(context.Context) (string, error) {
	*u.calls = append(*u.calls, "undo "+u.name)
	return u.undo()
}

func newRunner(dryRun bool) (*runner, *[]string) {
	var lines []string
	env := &Env{DryRun: dryRun, Log: func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }}
	return &runner{env: env, report: newReport("test", dryRun)}, &lines
}

func outcomes(r *Report) []string {
	var out []string
	for _, s := range r.Steps {
		o := s.Name + "=" + string(s.Outcome)
		if s.Check {
			o = "check " + o
		}
		out = append(out, o)
	}
	return out
}

func TestRunnerOutcomes(t *testing.T) {
	var calls []string
	f := func(name string) *fake { return &fake{name: name, calls: &calls} }
	steps := []Step{
		skipping{&fake{name: "skipped", skip: "--skip it", calls: &calls}},
		doing{&fake{name: "done", done: true, calls: &calls}},
		doing{f("notdone")},
		previewing{&fake{name: "planned", preview: "would plan", calls: &calls}},
		&fake{name: "late", calls: &calls, run: func() (string, error) { return "", AlreadyDone("it was there") }},
	}
	r, lines := newRunner(false)
	if err := r.run(context.Background(), []Step{f("look")}, steps); err != nil {
		t.Fatal(err)
	}
	want := []string{"check look=ran", "skipped=skipped", "done=done", "notdone=ran", "planned=ran", "late=done"}
	if got := outcomes(r.report); !reflect.DeepEqual(got, want) {
		t.Errorf("outcomes %v, want %v", got, want)
	}
	wantCalls := []string{"run look", "done? done", "done? notdone", "run notdone", "run planned", "run late"}
	if !reflect.DeepEqual(calls, wantCalls) {
		t.Errorf("calls %v, want %v", calls, wantCalls)
	}
	wantLines := []string{"check look: did look", "skipped: skipped (--skip it)", "done: done was done", "notdone: did notdone", "planned: did planned", "late: it was there"}
	if !reflect.DeepEqual(*lines, wantLines) {
		t.Errorf("lines %q, want %q", *lines, wantLines)
	}

	// Under --dry-run a Previewer is asked, not run; a step that is no
	// Previewer (a check) runs.
	calls = nil
	r, _ = newRunner(true)
	if err := r.run(context.Background(), []Step{f("look")}, steps); err != nil {
		t.Fatal(err)
	}
	if got := r.report.Steps[4]; got.Outcome != DryRun || got.Detail != "would plan" {
		t.Errorf("dry run: %+v", got)
	}
	if !reflect.DeepEqual(calls, []string{"run look", "done? done", "done? notdone", "run notdone", "run late"}) {
		t.Errorf("dry run calls %v", calls)
	}
}

// TestRunnerAfterStep: the AfterStep hook (the crash tests' kill point)
// follows every step that went through, never a check nor a step that
// failed; the library itself reads no variable for it.
func TestRunnerAfterStep(t *testing.T) {
	var calls, after []string
	f := func(name string) *fake { return &fake{name: name, calls: &calls} }
	r, _ := newRunner(false)
	r.env.AfterStep = func(step string) { after = append(after, step) }
	t.Setenv("DIST_TEST_KILL_AFTER", "tag")
	steps := []Step{f("tag"), f("push"), &fake{name: "broken", calls: &calls, run: func() (string, error) { return "", errors.New("boom") }}}
	if err := r.run(context.Background(), []Step{f("look")}, steps); err == nil {
		t.Fatal("a failed step went through")
	}
	if want := []string{"tag", "push"}; !reflect.DeepEqual(after, want) {
		t.Errorf("AfterStep %v, want %v", after, want)
	}
}

func TestRunnerRefusesWithEveryReason(t *testing.T) {
	var calls []string
	no := func(why ...string) func() (string, error) {
		return func() (string, error) { return "", refusal(why) }
	}
	checks := []Step{
		&fake{name: "a", calls: &calls, run: no("a is wrong")},
		&fake{name: "b", calls: &calls},
		&fake{name: "c", calls: &calls, run: no("c is wrong", "so is c'")},
	}
	steps := []Step{previewing{&fake{name: "change", preview: "would change", calls: &calls}}}
	r, lines := newRunner(false)
	err := r.run(context.Background(), checks, steps)
	var ref *Refusal
	if !errors.As(err, &ref) || !reflect.DeepEqual(ref.Reasons, []string{"a is wrong", "c is wrong", "so is c'"}) || ref.Step != "test" {
		t.Fatalf("err %v", err)
	}
	if !reflect.DeepEqual(calls, []string{"run a", "run b", "run c"}) {
		t.Errorf("a refused run went on: %v", calls)
	}
	if (*lines)[0] != "check a: refused: a is wrong" {
		t.Errorf("lines %q", *lines)
	}

	// --dry-run still shows the plan, and is still refused.
	calls = nil
	r, _ = newRunner(true)
	err = r.run(context.Background(), checks, steps)
	if !errors.As(err, &ref) || r.report.Steps[3].Outcome != DryRun {
		t.Errorf("dry run: %v %v", err, outcomes(r.report))
	}

	// A check that fails (rather than refuses) stops at once.
	calls = nil
	broken := errors.New("cannot read the repository")
	checks[0] = &fake{name: "a", calls: &calls, run: func() (string, error) { return "", broken }}
	r, _ = newRunner(false)
	if err := r.run(context.Background(), checks, steps); err != broken {
		t.Errorf("err %v", err)
	}
	if !reflect.DeepEqual(calls, []string{"run a"}) {
		t.Errorf("calls %v", calls)
	}
}

func TestRunnerUndoesNewestFirst(t *testing.T) {
	var calls []string
	ok := func(what string) func() (string, error) { return func() (string, error) { return what, nil } }
	steps := []Step{
		undoing{&fake{name: "one", calls: &calls, undo: ok("took one back")}},
		doing{&fake{name: "earlier", done: true, calls: &calls}},
		undoing{&fake{name: "two", calls: &calls, undo: func() (string, error) { return "", errors.New("two has left") }}},
		&fake{name: "plain", calls: &calls},
		&fake{name: "boom", calls: &calls, run: func() (string, error) { return "", errors.New("boom") }},
		&fake{name: "never", calls: &calls},
	}
	r, lines := newRunner(false)
	err := r.run(context.Background(), nil, steps)
	if err == nil || err.Error() != "boom" {
		t.Fatalf("err %v", err)
	}
	want := []string{"run one", "done? earlier", "run two", "run plain", "run boom", "undo two", "undo one"}
	if !reflect.DeepEqual(calls, want) {
		t.Errorf("calls %v, want %v", calls, want)
	}
	if got := outcomes(r.report); !reflect.DeepEqual(got, []string{"one=undone", "earlier=done", "two=ran", "plain=ran", "boom=failed"}) {
		t.Errorf("outcomes %v", got)
	}
	if s := r.report.Steps[2]; s.Error != "undo: two has left" {
		t.Errorf("two: %+v", s)
	}
	if s := r.report.Steps[4]; s.Error != "boom" {
		t.Errorf("boom: %+v", s)
	}
	joined := strings.Join(*lines, "\n")
	for _, l := range []string{"boom: failed", "two: could not be undone: two has left", "one: took one back"} {
		if !strings.Contains(joined, l) {
			t.Errorf("no line %q in\n%s", l, joined)
		}
	}
}
