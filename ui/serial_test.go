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

// call is a queued fyne.Do; done is closed when it has run or been dropped.
type call struct {
	f    func()
	done chan struct{}
}

type serialDriver struct {
	fyne.Driver
	owner uint64 // the test's goroutine

	mu      sync.Mutex
	queue   []call
	closed  bool
	pending chan struct{} // a token while the queue may be non-empty
}

// serialise makes a the current app with serial fyne.Do until the test ends; call it on the
// test's goroutine.
func serialise(t *testing.T, a fyne.App) {
	d := &serialDriver{Driver: a.Driver(), owner: goroutineID(), pending: make(chan struct{}, 1)}
	fyne.SetCurrentApp(serialApp{App: a, drv: d})
	t.Cleanup(func() {
		// Updates that come after the test are for widgets no one looks at again; run
		// inline, they would race the next test in Fyne's shared renderer cache. Drop them.
		d.mu.Lock()
		d.closed = true
		for _, c := range d.queue {
			close(c.done)
		}
		d.queue = nil
		d.mu.Unlock()
	})
}

func (d *serialDriver) DoFromGoroutine(f func(), wait bool) {
	if goroutineID() == d.owner {
		f()
		return
	}
	c := call{f, make(chan struct{})}
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	d.queue = append(d.queue, c)
	d.mu.Unlock()
	select {
	case d.pending <- struct{}{}:
	default:
	}
	if wait {
		<-c.done
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
		for _, c := range q {
			c.f()
			close(c.done)
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

// TestSerialDo holds the harness to the GL driver's contract: fyne.Do and fyne.DoAndWait from
// a background goroutine run on the test's goroutine, in the order they were called, and
// fyne.Do on the test's own goroutine runs at once.
func TestSerialDo(t *testing.T) {
	newTestUI(t, langEN, nil)
	me := goroutineID()
	var ran []uint64 // written only on the test's goroutine, so unlocked
	fyne.Do(func() { ran = append(ran, goroutineID()) })
	if len(ran) != 1 {
		t.Fatal("fyne.Do on the test's goroutine did not run at once")
	}
	waited := make(chan struct{})
	go func() {
		fyne.Do(func() { ran = append(ran, goroutineID()) })
		fyne.DoAndWait(func() { ran = append(ran, goroutineID()) })
		close(waited)
	}()
	waitFor(t, "both calls", func() bool { return len(ran) == 3 })
	<-waited
	for i, id := range ran {
		if id != me {
			t.Errorf("call %d ran on goroutine %d, want the test's %d", i, id, me)
		}
	}
}
