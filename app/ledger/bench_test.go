//go:build unix

package ledger_test

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"ebill/app/bill"
	"ebill/app/ledger"
	"ebill/app/wire"
)

// Benchmarks of the state machine alone: bills with 2 KiB payloads committed through
// FinalizeBlock + Commit on pebble, in blocks of 500 transactions (about 1.2 MB of
// submissions), from four cashiers and two clerks. Signatures are verified inside
// FinalizeBlock in batches (the transactions never passed CheckTx here), so verification
// is part of the figure. Building and signing the transactions is not. Run with a fixed
// count so the tree sizes compare:
//
//	go test ./app/ledger -run '^$' -bench . -benchtime 5000x -count 5
//
// bills/s is b.N over the measured time; cpu-µs/bill the process CPU time (all cores) per
// bill, which holds up better than bills/s when other work shares the machine;
// state-B/bill is the growth of pebble's sstables
// (after Close flushes) per bill, every kept version included.

const benchBlock = 500

func BenchmarkSubmit(b *testing.B)    { benchBills(b, false) }
func BenchmarkLifecycle(b *testing.B) { benchBills(b, true) }

// benchBills commits b.N bills: submitted only, or submitted, approved and issued.
func benchBills(b *testing.B, lifecycle bool) {
	n := newNetwork()
	// Four cashiers at four hospitals with room for every number.
	g := n.genesis
	for i := range g.Segments {
		g.Segments[i].Start, g.Segments[i].End = uint64(i)*10_000_000+1, uint64(i+1)*10_000_000
	}
	cashiers, orgs := n.cashiers, n.hospitals
	fourth := newActor("cashier H32010004")
	g.Orgs = append(g.Orgs, ledger.GenesisOrg{ID: "H32010004", Name: "第四医院", Kind: wire.OrgHospital, Bureau: bureau, EncKey: ledger.HexBytes("k")})
	g.Accounts = append(g.Accounts, ledger.GenesisAccount{Pub: ledger.HexBytes(fourth.PublicKey()), EncKey: ledger.HexBytes("e"), Name: "收费四", Role: wire.RoleCashier, Org: "H32010004"})
	g.Segments = append(g.Segments, ledger.GenesisSegment{Org: "H32010004", Code: "32060126", Start: 30_000_001, End: 40_000_000})
	cashiers, orgs = append(cashiers, fourth), append(orgs, "H32010004")
	clerks := []*actor{n.clerk, n.clerk2}

	dir := b.TempDir()
	c := newChain(b, dir, g)
	c.finalize()
	base := sstBytes(b, dir)

	// Every block of transactions, built and signed before the clock starts.
	var blocks [][][]byte
	for lo := 0; lo < b.N; lo += benchBlock {
		hi := min(lo+benchBlock, b.N)
		var subs []*wire.SubmitBill
		var submit, approve, issue [][]byte
		for i := lo; i < hi; i++ {
			h := i % len(cashiers)
			m := cashiers[h].submission(orgs[h], fmt.Sprintf("B%09d", i), bill.Money(1000+i), 2048)
			subs = append(subs, m)
			submit = append(submit, cashiers[h].tx(b, m))
		}
		blocks = append(blocks, submit)
		if !lifecycle {
			continue
		}
		for i, m := range subs {
			k := clerks[i%len(clerks)]
			approve = append(approve, k.tx(b, k.approval(m, 1)))
			h := (lo + i) % len(cashiers)
			issue = append(issue, cashiers[h].tx(b, &wire.Issue{ID: bill.ID(m.Org, m.Serial)}))
		}
		blocks = append(blocks, approve, issue)
	}

	cpu0 := cpuTime(b)
	b.ResetTimer()
	for _, txs := range blocks {
		for i, r := range c.finalize(txs...) {
			if r.Code != 0 {
				b.Fatalf("block %d tx %d: %s", c.height, i, r.Log)
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "bills/s")
	b.ReportMetric(float64((cpuTime(b)-cpu0).Microseconds())/float64(b.N), "cpu-µs/bill")
	if err := c.app.Close(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(sstBytes(b, dir)-base)/float64(b.N), "state-B/bill")
}

// cpuTime is the CPU time the process has used, on all cores. On a shared machine it
// says what a bill costs better than the wall clock does.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func sstBytes(b *testing.B, dir string) int64 {
	var n int64
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".sst") {
			info, ierr := d.Info()
			if ierr != nil {
				return ierr
			}
			n += info.Size()
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// BenchmarkProvenQuery answers QueryKey with a proof for one of 20,000 submitted bills,
// as a desk's light node asks for them, and reports the size of the proof.
func BenchmarkProvenQuery(b *testing.B) {
	n := newNetwork()
	c := newChain(b, b.TempDir(), n.genesis)
	var ids []string
	for blk := range 40 {
		var txs [][]byte
		for i := range benchBlock {
			h := i % len(n.cashiers)
			m := n.cashiers[h].submission(n.hospitals[h], fmt.Sprintf("Q%03d-%03d", blk, i), 1, 2048)
			ids = append(ids, m.ID())
			txs = append(txs, n.cashiers[h].tx(b, m))
		}
		c.finalize(txs...)
	}
	ctx := context.Background()
	ids = ids[:len(ids)-benchBlock] // the last block's bills are not in the state at height-1
	var proofBytes int
	i := 0
	for b.Loop() {
		res, err := c.app.Query(ctx, &abci.QueryRequest{Path: wire.QueryKey, Data: wire.BillKey(ids[i*7919%len(ids)]), Height: c.height - 1, Prove: true})
		if err != nil || res.Code != 0 || res.Value == nil {
			b.Fatalf("query: %d %s %v", res.GetCode(), res.GetLog(), err)
		}
		proofBytes += len(res.ProofOps.Ops[0].Data)
		i++
	}
	b.ReportMetric(float64(proofBytes)/float64(i), "proof-B")
}
