package ui

import (
	"flag"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"ebill/wallet"
)

// shots makes the flow tests write the screenshots of docs/img.
var shots = flag.Bool("shots", false, "write the screenshots docs/img/ui-*.png")

func TestMain(m *testing.M) {
	// Times on screen are local: pin the zone so golden images are the same everywhere.
	time.Local = time.FixedZone("CST", 8*3600)
	flag.Parse()
	os.Exit(m.Run())
}

// newTestUI is a desk in the test driver with the bundled font, an in-memory keyring and its
// own directory.
func newTestUI(t *testing.T, language string, now func() time.Time) (*UI, fyne.Window, *atomic.Int32) {
	t.Helper()
	a := test.NewTempApp(t)
	serialise(t, a)
	a.Settings().SetTheme(Theme())
	a.Preferences().SetString(prefLang, language)
	w := test.NewWindow(nil)
	t.Cleanup(w.Close)
	store := wallet.NewMemoryStore()
	var shown atomic.Int32 // work screens shown so far
	ready := func(work bool) {
		if work {
			shown.Add(1)
		}
	}
	u, err := New(a, w, Options{Dir: t.TempDir(), Keyring: func() wallet.Store { return store }, Now: now, Ready: ready})
	if err != nil {
		t.Fatal(err)
	}
	w.Resize(fyne.NewSize(1280, 960))
	t.Cleanup(u.Close)
	return u, w, &shown
}

// waitFor runs the UI updates background work queued (see serialApp) until cond holds, or
// fails the test after a minute. It looks again when an update is queued, and every 20 ms for
// what changes without one.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	d := fyne.CurrentApp().Driver().(*serialDriver)
	deadline := time.After(time.Minute)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for d.run(); !cond(); d.run() {
		select {
		case <-d.pending:
		case <-tick.C:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// walk visits o and every object under it that is visible or may hold visible ones.
func walk(o fyne.CanvasObject, visit func(fyne.CanvasObject)) {
	visit(o)
	switch w := o.(type) {
	case *fyne.Container:
		for _, c := range w.Objects {
			walk(c, visit)
		}
	case *container.Scroll:
		walk(w.Content, visit)
	case *container.Split:
		walk(w.Leading, visit)
		walk(w.Trailing, visit)
	case *widget.Label, *widget.Button:
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(w).Objects() {
			walk(c, visit)
		}
	}
}

// texts is every label and button text under o, for asserting what the screen says.
func texts(o fyne.CanvasObject) []string {
	var out []string
	walk(o, func(o fyne.CanvasObject) {
		switch w := o.(type) {
		case *widget.Label:
			if w.Visible() {
				out = append(out, w.Text)
			}
		case *widget.Button:
			if w.Visible() {
				out = append(out, w.Text)
			}
		}
	})
	return out
}

// firstOf is the first object of type T under o, or nil.
func firstOf[T fyne.CanvasObject](o fyne.CanvasObject) (found T) {
	done := false
	walk(o, func(o fyne.CanvasObject) {
		if t, ok := o.(T); ok && !done {
			found, done = t, true
		}
	})
	return found
}

// shows reports whether some label under o contains s.
func shows(o fyne.CanvasObject, s string) bool {
	for _, t := range texts(o) {
		if strings.Contains(t, s) {
			return true
		}
	}
	return false
}

// press sends the submit shortcut to the focused widget, as Ctrl+S on a keyboard does.
func press(t *testing.T, w fyne.Window) {
	t.Helper()
	f, ok := w.Canvas().Focused().(fyne.Shortcutable)
	if !ok {
		t.Fatalf("focused %T takes no shortcuts", w.Canvas().Focused())
	}
	f.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyS, Modifier: fyne.KeyModifierShortcutDefault})
}

// pick makes the next file dialog choose path, as a user would: the test driver cannot
// operate file dialogs, so the handler they call gets the file directly.
func pick(t *testing.T, u *UI, path string) {
	t.Helper()
	u.pickOpen = func(_ []string, done func(fyne.URIReadCloser)) {
		r, err := storage.Reader(storage.NewFileURI(path))
		if err != nil {
			t.Error(err)
			return
		}
		done(r)
	}
}

// dialogSays waits for a dialog that says want, and closes it.
func dialogSays(t *testing.T, w fyne.Window, want string) {
	t.Helper()
	waitFor(t, "a dialog saying "+want, func() bool {
		top := w.Canvas().Overlays().Top()
		return top != nil && shows(top, want)
	})
	w.Canvas().Overlays().Top().Hide()
}

// typeIn types s into e as a keyboard does: focus first, then the keys.
func typeIn(w fyne.Window, e fyne.Focusable, s string) {
	w.Canvas().Focus(e)
	test.Type(e, s)
}

// enter presses Enter in e.
func enter(e fyne.Focusable) { e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) }

// shoot writes the window to docs/img/ui-NAME-LANG.png when -shots is given.
func shoot(t *testing.T, u *UI, w fyne.Window, name string) {
	t.Helper()
	if !*shots {
		return
	}
	f, err := os.Create(filepath.Join("..", "docs", "img", "ui-"+name+"-"+u.tr.lang+".png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// The GL driver lays out again whatever grew since the last frame; the test canvas does
	// not, so do it before the picture is taken.
	w.Content().Refresh()
	if err := png.Encode(f, w.Canvas().Capture()); err != nil {
		t.Fatal(err)
	}
}
