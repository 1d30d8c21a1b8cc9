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

// waitFor polls cond until it holds or a minute has passed: network work runs on its own
// goroutines.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// texts is every label and button text under o, for asserting what the screen says.
func texts(o fyne.CanvasObject) []string {
	var out []string
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch w := o.(type) {
		case *widget.Label:
			if w.Visible() {
				out = append(out, w.Text)
			}
		case *widget.Button:
			if w.Visible() {
				out = append(out, w.Text)
			}
		case *fyne.Container:
			for _, c := range w.Objects {
				walk(c)
			}
		case *container.Scroll:
			walk(w.Content)
		case *container.Split:
			walk(w.Leading)
			walk(w.Trailing)
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(w).Objects() {
				walk(c)
			}
		}
	}
	walk(o)
	return out
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
