package node_test

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"ebill/app/node"
	"ebill/app/node/localnet"
	"ebill/app/node/nodetest"
)

// BenchmarkCommitBills measures bills committed per second on the embedded node: desks on
// several goroutines, each with its own cashier key and RPC connection, submit bills with
// 2 KB payloads through broadcast_tx_sync; the clock stops when the last one is in a
// block. Signing and payloads are made before the clock starts, as a desk does them
// before it uploads.
func BenchmarkCommitBills(b *testing.B) {
	const desks = 8
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	g, _, extra, err := localnet.DemoGenesis(desks, "bench-cashier")
	if err != nil {
		b.Fatal(err)
	}
	cashiers := make([]*localnet.Signer, desks)
	for i, id := range extra {
		cashiers[i] = localnet.NewSigner(node.DemoChainID, id, 0)
	}
	home := b.TempDir()
	if err := node.InitHome(home, node.DemoChainID, g, node.HomeOptions{}); err != nil {
		b.Fatal(err)
	}
	n, err := node.Start(ctx, home, node.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer n.Stop()

	txs := make([][][]byte, desks)
	for i := range b.N {
		d := i % desks
		s := cashiers[d]
		tx, err := s.Tx(s.Submit(node.DemoHospital, node.DemoBillCode, benchSerial(d, i), 2048))
		if err != nil {
			b.Fatal(err)
		}
		txs[d] = append(txs[d], tx)
	}
	ledgerBefore, dataBefore := dirSize(b, filepath.Join(home, "data", "ledger")), dirSize(b, filepath.Join(home, "data"))
	clients := make([]nodetest.RPC, desks)
	for d := range clients {
		if clients[d], err = localnet.Client(n.RPCAddr()); err != nil {
			b.Fatal(err)
		}
	}

	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime(b)
	var wg sync.WaitGroup
	errs := make([]error, desks)
	for d := range desks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var last []byte
			for _, tx := range txs[d] {
				if last, errs[d] = nodetest.Broadcast(ctx, clients[d], tx); errs[d] != nil {
					return
				}
			}
			if last != nil {
				// A desk's bills enter the mempool, and so the blocks, in the order sent.
				_, errs[d] = nodetest.WaitTx(ctx, clients[d], last)
			}
		}()
	}
	wg.Wait()
	elapsed, cpu := time.Since(start), cpuTime(b)-cpu0
	b.StopTimer()
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "bills/s")
	// CPU time of the whole process (node and desks) per bill: on a shared machine the
	// wall-clock rate depends on the neighbours, this much less.
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/bill")
	// Disk per bill, once the databases are closed: the ledger's state alone, and the whole
	// node (blocks, which hold every transaction, the tx index and consensus state too).
	if err := n.Stop(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(dirSize(b, filepath.Join(home, "data", "ledger"))-ledgerBefore)/float64(b.N), "ledger-B/bill")
	b.ReportMetric(float64(dirSize(b, filepath.Join(home, "data"))-dataBefore)/float64(b.N), "node-B/bill")

}

func dirSize(b *testing.B, dir string) int64 {
	var size int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		size += info.Size()
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return size
}

func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchSerial(desk, i int) string { return fmt.Sprintf("MZ-bench-%d-%07d", desk, i) }
