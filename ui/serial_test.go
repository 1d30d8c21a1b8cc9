package ui

import (
	"bytes"
	"runtime"
	"strconv"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
)

// serialApp gives a test the GL driver's threading: fyne.Do from another goroutine queues its
// function for the test's goroutine, which runs the queue whenever it waits (waitFor). Fyne's
// test driver instead runs the function at once on the calling goroutine, so a background
// load's UI update raced the test reading the same widgets — and, in Fyne's unlocked renderer
// cache, could crash the process with a concurrent map write.
type serialApp struct {
	fyne.App
	drv *serialDriver
}

func (a serialApp) Driver() fyne.Driver { return a.drv }

type serialDriver struct {
	fyne.Driver
	owner uint64 // the test's goroutine

	mu      sync.Mutex
	queue   []func()
	closed  bool
	pending chan struct{} // a token while the queue may be non-empty
}

// serialise makes a the current app with serial fyne.Do until the test ends; call it on the
// test's goroutine.
func serialise(t *testing.T, a fyne.App) {
	d := &serialDriver{Driver: a.Driver(), owner: goroutineID(), pending: make(chan struct{}, 1)}
	fyne.SetCurrentApp(serialApp{App: a, drv: d})
	t.Cleanup(func() {
		// Work finishing after the test touches no one's widgets: let it run where it is.
		d.mu.Lock()
		d.closed = true
		d.mu.Unlock()
		d.run()
	})
}

func (d *serialDriver) DoFromGoroutine(f func(), wait bool) {
	if goroutineID() == d.owner {
		f()
		return
	}
	done := make(chan struct{})
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		f()
		return
	}
	d.queue = append(d.queue, func() { defer close(done); f() })
	d.mu.Unlock()
	select {
	case d.pending <- struct{}{}:
	default:
	}
	if wait {
		<-done
	}
}

// run runs what is queued, in order, on the caller's goroutine (the test's).
func (d *serialDriver) run() {
	for {
		d.mu.Lock()
		q := d.queue
		d.queue = nil
		d.mu.Unlock()
		if len(q) == 0 {
			return
		}
		for _, f := range q {
			f()
		}
	}
}

func goroutineID() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	id, _ := strconv.ParseUint(string(b[:bytes.IndexByte(b, ' ')]), 10, 64)
	return id
}
