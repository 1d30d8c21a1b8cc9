package ui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"ebill/app/service"
)

// stageShare is how far along each stage of a submission or transition is.
var stageShare = map[service.Stage]float64{
	service.StageSigning:    0.15,
	service.StageEncrypting: 0.35,
	service.StageSending:    0.55,
	service.StageCommitted:  0.8,
	service.StageVerified:   1,
}

// progressDialog shows the stages of one piece of long work. It is a service.Progress, so the
// service reports to it directly from its goroutines.
type progressDialog struct {
	u     *UI
	d     dialog.Dialog
	bar   *widget.ProgressBar
	stage *widget.Label
}

func (u *UI) newProgress(title string) *progressDialog {
	p := &progressDialog{u: u, bar: widget.NewProgressBar(), stage: widget.NewLabel(u.tr.T("stage.start"))}
	p.d = dialog.NewCustomWithoutButtons(title, container.NewVBox(p.stage, p.bar), u.win)
	p.d.Resize(fyne.NewSize(420, 0))
	p.d.Show()
	return p
}

// Step is called by the service, from any goroutine.
func (p *progressDialog) Step(stage service.Stage, detail string) {
	fyne.Do(func() { p.show(stage) })
}

func (p *progressDialog) show(stage service.Stage) {
	p.stage.SetText(p.u.tr.T("stage." + string(stage)))
	if f, ok := stageShare[stage]; ok && f > p.bar.Value {
		p.bar.SetValue(f)
	}
}

// count shows how many of the pieces of work under way are done, for work on many bills.
func (p *progressDialog) count(stage service.Stage, done, of int) {
	p.stage.SetText(p.u.tr.T("stage." + string(stage)))
	p.bar.Max = float64(max(of, 1))
	p.bar.SetValue(float64(done))
}

// finish closes the dialog and hands the outcome to done or to showError.
func (p *progressDialog) finish(v *service.View, err error, done func(*service.View)) {
	fyne.Do(func() {
		p.d.Hide()
		if err != nil {
			p.u.showError(err)
			return
		}
		done(v)
	})
}

// move runs one transition of bill id (fn is a method of service.Desk: Issue, Approve)
// behind a progress dialog and hands the bill to done.
func (u *UI) move(title, id string, fn func(*service.Desk, context.Context, string, service.Progress) (*service.View, error), done func(*service.View)) {
	desk := u.desk
	u.act(title, func(ctx context.Context, p service.Progress) (*service.View, error) { return fn(desk, ctx, id, p) }, done)
}

// moveWithReason is move for the transitions that need a reason (Reject, Reverse): the
// reason typed in e, or nothing but a note (message key missing) when there is none.
func (u *UI) moveWithReason(title, id string, e *widget.Entry, missing string,
	fn func(*service.Desk, context.Context, string, string, service.Progress) (*service.View, error), done func(*service.View)) {
	reason, ok := u.reasonIn(e, missing)
	if !ok {
		return
	}
	u.move(title, id, func(d *service.Desk, ctx context.Context, id string, p service.Progress) (*service.View, error) {
		return fn(d, ctx, id, reason, p)
	}, done)
}

// act runs one use case off the UI goroutine behind a progress dialog and hands the bill it
// returns to done on the UI goroutine.
func (u *UI) act(title string, fn func(context.Context, service.Progress) (*service.View, error), done func(*service.View)) {
	p := u.newProgress(title)
	go func() {
		v, err := fn(u.ctx, p)
		p.finish(v, err, done)
	}()
}
