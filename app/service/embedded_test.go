package service_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"ebill/app/bill"
	"ebill/app/node"
	"ebill/app/service"
	"ebill/app/wire"
	"ebill/wallet"
)

// TestEmbedded starts the embedded demo network twice in one directory: the first run
// creates the demo identities and the node, the second reuses both and still holds the
// bill of the first.
func TestEmbedded(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir, store := t.TempDir(), wallet.NewMemoryStore()
	var id string
	for run := range 2 {
		net, err := service.StartEmbedded(ctx, dir, store)
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		f, err := os.Open(filepath.Join(dir, "network.json"))
		if err != nil {
			t.Fatal(err)
		}
		nf, err := node.ReadNetworkFile(f)
		f.Close()
		if err != nil || nf.Primary != net.File().Primary || nf.TrustHash != net.File().TrustHash {
			t.Errorf("run %d: network.json %+v, %v", run, nf, err)
		}
		cashierID, err := store.Load(ctx, node.DemoCashierName)
		if err != nil {
			t.Fatal(err)
		}
		cashier, err := net.As(ctx, cashierID)
		if err != nil {
			t.Fatal(err)
		}
		if a := cashier.Account(); a.Role != wire.RoleCashier || a.Org != node.DemoHospital || a.Bureau != node.DemoBureau {
			t.Errorf("run %d: cashier account %+v", run, a)
		}
		if run == 0 {
			v, err := cashier.Submit(ctx, sample(bill.Outpatient, node.DemoHospital, "demo", 3), nil)
			if err != nil {
				t.Fatal(err)
			}
			id = v.ID
		} else if v, err := cashier.Fetch(ctx, id); err != nil || v.Bill == nil {
			t.Errorf("run %d: bill of the first run: %v", run, err)
		}
		if err := net.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
