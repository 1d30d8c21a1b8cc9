package ledger_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"ebill/app/bill"
	"ebill/app/wire"
)

// TestRandomInterleavings feeds the same random blocks of submit, review, issue, reverse
// and withdraw across three hospitals, with each block's transactions shuffled (so one
// signer's sequences arrive out of order), to an in-memory and an on-disk instance. The app
// hashes must agree after every block, every bill must end as the transactions that
// succeeded say, and each segment's numbers must be unique and gap-free.
func TestRandomInterleavings(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			n := newNetwork()
			a, b := newChain(t, "", n.genesis), newChain(t, t.TempDir(), n.genesis)
			if !bytes.Equal(a.hashes[0], b.hashes[0]) {
				t.Fatal("genesis app hashes differ")
			}
			rng := rand.New(rand.NewPCG(seed, 0))
			type op struct {
				id     string
				next   wire.Status // status if the tx succeeds
				sub    *wire.SubmitBill
				red    string // id of the red bill a reverse creates
				submit bool
			}
			status := map[string]wire.Status{} // the model: what succeeded so far
			subs := map[string]*wire.SubmitBill{}
			revs := map[string]uint32{}
			var order []string // bill ids in creation order, for deterministic picks
			pick := func(want wire.Status) (string, bool) {
				var c []string
				for _, id := range order {
					if status[id] == want {
						c = append(c, id)
					}
				}
				if len(c) == 0 {
					return "", false
				}
				return c[rng.IntN(len(c))], true
			}
			serial := 0
			for blk := 0; blk < 30; blk++ {
				var txs [][]byte
				var ops []op
				for range rng.IntN(25) + 1 {
					h := rng.IntN(3)
					cashier, org := n.cashiers[h], n.hospitals[h]
					var o op
					var tx []byte
					switch k := rng.IntN(10); {
					case k < 4: // submit a new bill, or resubmit a rejected one
						s := "S" + strconv.Itoa(serial)
						serial++
						rev := uint32(1)
						if id, ok := pick(wire.StatusRejected); ok && k == 0 {
							s, rev = subs[id].Serial, revs[id]+1
							org, cashier = subs[id].Org, n.cashiers[slices.Index(n.hospitals, subs[id].Org)]
						}
						m := cashier.revision(cashier.submission(org, s, bill.Money(rng.IntN(100000)), 64+rng.IntN(512)), rev)
						o = op{id: bill.ID(org, s), next: wire.StatusSubmitted, sub: m, submit: true}
						tx = cashier.tx(t, m)
					case k < 6:
						id, ok := pick(wire.StatusSubmitted)
						if !ok {
							continue
						}
						clerk := []*actor{n.clerk, n.clerk2}[rng.IntN(2)]
						if rng.IntN(4) == 0 {
							o, tx = op{id: id, next: wire.StatusRejected}, clerk.tx(t, &wire.Reject{ID: id, Revision: revs[id], Reason: sealed("不符")})
						} else {
							o, tx = op{id: id, next: wire.StatusApproved}, clerk.tx(t, clerk.approval(subs[id], revs[id]))
						}
					case k < 8:
						id, ok := pick(wire.StatusApproved)
						if !ok {
							continue
						}
						c := n.cashiers[slices.Index(n.hospitals, subs[id].Org)]
						o, tx = op{id: id, next: wire.StatusIssued}, c.tx(t, &wire.Issue{ID: id})
					case k < 9:
						id, ok := pick(wire.StatusIssued)
						if !ok || subs[id].Total < 0 {
							continue
						}
						orig := subs[id]
						c := n.cashiers[slices.Index(n.hospitals, orig.Org)]
						red := c.submission(orig.Org, orig.Serial+"-R"+strconv.Itoa(serial), -orig.Total, 64)
						serial++
						o = op{id: id, next: wire.StatusReversed, sub: red, red: bill.ID(red.Org, red.Serial)}
						tx = c.tx(t, &wire.Reverse{ID: id, Reason: sealed("退费"), Red: *red})
					default: // withdraw anything; refused unless not yet issued
						if len(order) == 0 {
							continue
						}
						id := order[rng.IntN(len(order))]
						c := n.cashiers[slices.Index(n.hospitals, subs[id].Org)]
						o, tx = op{id: id, next: wire.StatusWithdrawn}, c.tx(t, &wire.Withdraw{ID: id})
					}
					txs, ops = append(txs, tx), append(ops, o)
				}
				perm := rng.Perm(len(txs))
				shuffled := make([][]byte, len(txs))
				for i, p := range perm {
					shuffled[i] = txs[p]
				}
				ra, rb := a.finalize(shuffled...), b.finalize(shuffled...)
				if !bytes.Equal(a.hashes[a.height], b.hashes[b.height]) {
					t.Fatalf("block %d: app hashes differ: %x vs %x", a.height, a.hashes[a.height], b.hashes[b.height])
				}
				for i, p := range perm {
					if ra[i].Code != rb[i].Code {
						t.Fatalf("block %d tx %d: codes differ: %d vs %d", a.height, i, ra[i].Code, rb[i].Code)
					}
					code, o := wire.Code(ra[i].Code), ops[p]
					switch code {
					case wire.CodeReplay, wire.CodeMalformed, wire.CodeBadSignature, wire.CodeWrongRole, wire.CodeWrongOrg, wire.CodeUnknownSigner:
						t.Fatalf("block %d tx %d: %s", a.height, i, ra[i].Log)
					case wire.CodeOK:
					default:
						continue
					}
					if o.submit {
						if _, ok := status[o.id]; !ok {
							order = append(order, o.id)
						}
						subs[o.id] = o.sub
						revs[o.id]++
					}
					if o.red != "" {
						order, subs[o.red], revs[o.red], status[o.red] = append(order, o.red), o.sub, 1, wire.StatusIssued
					}
					status[o.id] = o.next
				}
			}

			// The state agrees with the model; numbers per segment are unique and gap-free.
			numbers := map[string][]int{}
			for _, id := range order {
				bl := a.bill(id)
				if bl.Status != status[id] || bl.Revision != revs[id] {
					t.Errorf("bill %s: %s rev %d, model says %s rev %d", id, bl.Status, bl.Revision, status[id], revs[id])
				}
				if bl.Number == "" {
					continue
				}
				num, _ := strconv.Atoi(bl.Number)
				numbers[bl.Org] = append(numbers[bl.Org], num)
				if got := string(a.get(wire.NumberKey(bl.Code, bl.Number), 0)); got != id {
					t.Errorf("number %s indexes %q, want %s", bl.Number, got, id)
				}
			}
			total := 0
			for i, org := range n.hospitals {
				got := numbers[org]
				slices.Sort(got)
				total += len(got)
				for j, num := range got {
					if want := i*1000 + 1 + j; num != want {
						t.Fatalf("org %s numbers %v: position %d is %d, want %d", org, got, j, num, want)
					}
				}
			}
			counts := map[wire.Status]int{}
			resubmitted := 0
			for _, id := range order {
				counts[status[id]]++
				if revs[id] > 1 {
					resubmitted++
				}
			}
			t.Logf("%d bills numbered; final statuses %v; %d resubmitted", total, counts, resubmitted)
			if total < 10 || counts[wire.StatusReversed] == 0 || counts[wire.StatusWithdrawn] == 0 || resubmitted == 0 {
				t.Errorf("the generator does not exercise every transition")
			}
		})
	}
}
