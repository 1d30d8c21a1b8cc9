package service_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"ebill/app/bill"
	"ebill/app/service"
	"ebill/internal/httplimit/httplimittest"
)

// TestFloodingPrimary connects a desk through a primary that answers everything with an
// endless body: the light node, the status reads, the broadcast and the commit watcher each
// read at most httplimit.MaxBody of an answer, turn to the witnesses, and a bill goes through.
func TestFloodingPrimary(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	w := newWorld(t, ctx)
	flood := httplimittest.NewFlood(t)
	nf, err := w.node.NetworkFile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	nf.Primary = flood.URL
	nf.Witnesses = []string{w.node.RPCAddr(), strings.Replace(w.node.RPCAddr(), "127.0.0.1", "localhost", 1)}
	net, err := service.Connect(ctx, service.Options{Network: nf, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer net.Close()
	d, err := net.As(ctx, w.ids["cashierA"])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Submit(ctx, sample(bill.Outpatient, hospitalA, "F", 2), nil); err != nil {
		t.Fatal(err)
	}
	if flood.Drained() {
		t.Error("the desk read a whole flood")
	}
}
