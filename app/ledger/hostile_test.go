package ledger_test

import (
	"context"

	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	abci "github.com/cometbft/cometbft/abci/types"
	"math/rand/v2"
	"strings"
	"testing"

	"ebill/app/bill"
	"ebill/app/wire"
)

// hostile drives blocks of transactions from every role of the network, most of them
// hostile: members acting outside their org or role, bills cycled through withdraw and
// resubmit with the longest reasons, grants and rotations of keys nobody holds, segments
// up to the largest number, forged signatures and garbage, in random order. Two instances
// run the same blocks; neither may fail a block, their app hashes must agree, and every
// stored record and every page of every list must decode within its bounds.
func hostile(t testing.TB, seed []byte, blocks int, diskDir string) map[wire.MsgType]int {
	n := newNetwork()
	a, b := newChain(t, "", n.genesis), newChain(t, diskDir, n.genesis)
	s := sha256.Sum256(seed)
	rng := rand.New(rand.NewChaCha8(s))
	actors := append([]*actor{n.admin, n.clerk, n.clerk2, n.auditor}, n.cashiers...)
	orgs := append([]string{bureau, "B-none"}, n.hospitals...)
	serials := []string{"S1", "S2", "S3", strings.Repeat("L", 64), strings.Repeat("M", 63)}
	var ids []string
	id2org := map[string]string{}
	for _, org := range n.hospitals {
		for _, s := range serials {
			ids = append(ids, bill.ID(org, s))
			id2org[bill.ID(org, s)] = org
		}
	}
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
	subs := map[string]*wire.SubmitBill{} // the latest submission made of each bill
	revs := map[string]uint32{}           // each bill's revision, as the results say
	cashierOf := func(org string) *actor {
		for i, h := range n.hospitals {
			if h == org {
				return n.cashiers[i]
			}
		}
		return n.admin
	}
	ok := map[wire.MsgType]int{}
	reason := func() []byte {
		switch rng.IntN(4) {
		case 0:
			return nil
		case 1:
			return sealed(strings.Repeat("长", wire.MaxReason/3))
		default:
			return sealed(strings.Repeat("x", rng.IntN(40)))
		}
	}
	for blk := 0; blk < blocks; blk++ {
		var txs [][]byte
		for range rng.IntN(30) + 1 {
			org, id := pick(orgs), pick(ids)
			// Half the time the actor whose business the message is, so that bills go
			// deep into their lives; otherwise anyone.
			who, fit := actors[rng.IntN(len(actors))], rng.IntN(2) == 0
			kind := rng.IntN(14)
			if fit {
				switch kind {
				case 0, 1, 2, 5, 6:
					if kind != 0 && kind != 1 {
						org = id2org[id]
					}
					who = cashierOf(org)
				case 3, 4, 9:
					who = []*actor{n.clerk, n.clerk2}[rng.IntN(2)]
				case 10, 11, 12:
					who = n.admin
				}
			}
			var msg wire.Msg
			switch kind {
			case 0, 1:
				total := bill.Money(rng.IntN(100000))
				if rng.IntN(8) == 0 {
					total = -total
				}
				size := 64 + rng.IntN(512)
				if rng.IntN(16) == 0 {
					size = wire.MaxPayload
				}
				m := who.submission(org, pick(serials), total, size)
				rev := revs[m.ID()] + 1
				if !fit {
					rev = uint32(rng.IntN(wire.MaxRevisions+2) + 1)
				}
				m = who.revision(m, rev)
				subs[m.ID()], msg = m, m
			case 2:
				msg = &wire.Withdraw{ID: id, Reason: reason()}
			case 3:
				m, known := subs[id]
				if !known {
					m = who.submission(org, pick(serials), 100, 64)
				}
				msg = who.approval(m, m.Revision)
			case 4:
				msg = &wire.Reject{ID: id, Revision: max(revs[id], 1), Reason: reason()}
			case 5:
				msg = &wire.Issue{ID: id}
			case 6:
				red := who.submission(org, pick(serials)+"-R", -bill.Money(rng.IntN(100000)), 64)
				if orig, known := subs[id]; known && fit {
					red = who.submission(orig.Org, bill.RedSerial(orig.Serial), -orig.Total, 64)
				}
				msg = &wire.Reverse{ID: id, Reason: reason(), Red: *red}
			case 7:
				msg = &wire.GrantOrgKey{Org: org, Member: pickActor(rng, actors).PublicKey(), Epoch: uint32(rng.IntN(3) + 1),
					Wrapped: bytes.Repeat([]byte{byte(blk)}, 1+rng.IntN(2000))}
			case 8:
				var grants []wire.MemberGrant
				for range rng.IntN(4) {
					grants = append(grants, wire.MemberGrant{Member: pickActor(rng, actors).PublicKey(), Wrapped: []byte("garbage")})
				}
				msg = &wire.RotateOrgKey{Org: org, Epoch: uint32(rng.IntN(4) + 2), EncKey: []byte{byte(blk), 1}, Grants: grants}
			case 9:
				start := uint64(rng.IntN(20000) + 1)
				end := start + uint64(rng.IntN(1000))
				if rng.IntN(4) == 0 {
					end = wire.MaxNumber
				}
				msg = &wire.AllocateSegment{Org: org, Code: pick([]string{"32060126", "32060127"}), Start: start, End: end}
			case 10:
				msg = &wire.BindCode{Code: pick([]string{"32060126", "32060127", "32060128"}), Bureau: org}
			case 11:
				msg = &wire.RegisterOrg{ID: fmt.Sprintf("X%d", rng.IntN(5)), Name: "x", Kind: wire.OrgKind(rng.IntN(2) + 1),
					Bureau: pick([]string{"", bureau}), EncKey: []byte{1}}
			case 12:
				msg = &wire.RegisterAccount{Pub: newActor(fmt.Sprint("new", rng.IntN(5))).PublicKey(), EncKey: []byte{1},
					Name: "n", Role: wire.Role(rng.IntN(4) + 1), Org: org}
			default:
				// Garbage and forgeries: random bytes, a truncated or bit-flipped transaction.
				tx := who.tx(t, &wire.Issue{ID: id})
				switch rng.IntN(3) {
				case 0:
					tx = tx[:rng.IntN(len(tx))]
				case 1:
					tx[rng.IntN(len(tx))] ^= 1 << rng.IntN(8)
				default:
					tx = make([]byte, rng.IntN(200))
					for i := range tx {
						tx[i] = byte(rng.Uint32())
					}
				}
				txs = append(txs, tx)
				continue
			}
			// A message that fails stateless validation never gets signed by NewTx;
			// FuzzCheckTx covers such bytes.
			if tx, err := wire.NewTx(chainID, who, who.seq+1, msg); err == nil {
				who.seq++
				txs = append(txs, tx)
			}
		}
		ra, rb := a.finalize(txs...), b.finalize(txs...)
		for i, r := range ra {
			if r.Code != 0 {
				continue
			}
			if tx, err := wire.DecodeTx(txs[i]); err == nil {
				ok[tx.Msg.Type()]++
			}
			if res, err := wire.DecodeResult(r.Data); err == nil && res.BillID != "" {
				revs[res.BillID] = res.Revision
			}
		}
		if !bytes.Equal(a.hashes[a.height], b.hashes[b.height]) {
			t.Fatalf("block %d: app hashes differ", a.height)
		}
		for i := range ra {
			if ra[i].Code != rb[i].Code {
				t.Fatalf("block %d tx %d: codes %d and %d", a.height, i, ra[i].Code, rb[i].Code)
			}
		}
	}
	checkState(t, a, orgs)
	return ok
}

func pickActor(rng *rand.Rand, as []*actor) *actor { return as[rng.IntN(len(as))] }

// checkState decodes every stored record by its key's prefix, within the bounds its
// decoder sets, and reads every page of every org's lists.
func checkState(t testing.TB, c *chain, orgs []string) {
	// stored checks that the payload a record names is in the payload store.
	stored := func(h [32]byte) error {
		res, err := c.app.Query(context.Background(), &abci.QueryRequest{Path: wire.QueryPayload, Data: h[:]})
		switch {
		case err != nil || res.Code != 0:
			return fmt.Errorf("payload %x not stored: %v %s", h, err, res.GetLog())
		case sha256.Sum256(res.Value) != h:
			return fmt.Errorf("payload stored under %x does not hash to it", h)
		}
		return nil
	}
	decode := map[string]func([]byte) error{
		string(wire.AccountKey(nil)):          func(v []byte) error { _, err := wire.DecodeAccount(v); return err },
		string(wire.OrgKey("")):               func(v []byte) error { _, err := wire.DecodeOrg(v); return err },
		string(wire.GrantKey("", nil, 0)[:2]): func(v []byte) error { _, err := wire.DecodeGrant(v); return err },
		string(wire.SegmentKey("", "")[:2]):   func(v []byte) error { _, err := wire.DecodeSegment(v); return err },
		string(wire.CodeKey("")):              func(v []byte) error { _, err := wire.DecodeCode(v); return err },
		string(wire.EpochKey("", 0)[:2]):      func(v []byte) error { _, err := wire.DecodeEpoch(v); return err },
		string(wire.BillKey("")): func(v []byte) error {
			b, err := wire.DecodeBillRecord(v)
			if err == nil {
				err = stored(b.Payload)
			}
			return err
		},
		string(wire.HistoryKey("", 0)[:2]): func(v []byte) error {
			h, err := wire.DecodeHistory(v)
			if err == nil {
				err = stored(h.Payload)
			}
			return err
		},
	}
	billID := func(v []byte) error {
		if len(v) != 32 {
			return fmt.Errorf("bill id %q", v)
		}
		return nil
	}
	for _, k := range [][]byte{wire.NumberKey("", ""), wire.OrgBillKey("", 0), wire.QueueKey("", 0)} {
		decode[string(k[:2])] = billID
	}
	records := 0
	err := c.app.Each(func(k, v []byte) bool {
		records++
		if string(k) == string(wire.ChainKey) {
			return true
		}
		dec, ok := decode[string(k[:2])]
		if !ok {
			t.Errorf("key %q has no known prefix", k)
			return true
		}
		if err := dec(v); err != nil {
			t.Errorf("record %q does not decode: %v", k, err)
		}
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, org := range orgs {
		for _, path := range []string{wire.QueryQueue, wire.QueryBills} {
			req := wire.ListRequest{Org: org}
			for pages := 0; ; pages++ {
				raw := c.listRaw(path, req)
				if len(raw) > wire.MaxListPageBytes {
					t.Errorf("%s of %s: page of %d bytes", path, org, len(raw))
				}
				p, err := wire.DecodeListPage(raw)
				if err != nil {
					t.Fatalf("%s of %s: %v", path, org, err)
				}
				if req.Cursor = p.Next; req.Cursor == 0 || pages > 1000 {
					break
				}
			}
		}
	}
	if testing.Verbose() {
		t.Logf("%d records decoded", records)
	}
}

// TestHostileBlocks is the short run of the hostile generator that make test runs; make
// fuzz runs FuzzHostileBlocks for longer.
func TestHostileBlocks(t *testing.T) {
	total := map[wire.MsgType]int{}
	for seed := range 4 {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			for m, n := range hostile(t, binary.BigEndian.AppendUint64(nil, uint64(seed)), 60, t.TempDir()) {
				total[m] += n
			}
		})
	}
	t.Logf("accepted: %v", total)
	// The generator must reach deep states, not only refusals.
	for _, m := range []wire.MsgType{wire.MsgSubmitBill, wire.MsgWithdraw, wire.MsgApprove, wire.MsgReject, wire.MsgIssue, wire.MsgReverse, wire.MsgAllocateSegment} {
		if total[m] == 0 {
			t.Errorf("no %v was accepted: the generator does not exercise it", m)
		}
	}
}

func FuzzHostileBlocks(f *testing.F) {
	f.Add([]byte("ebill"))
	f.Fuzz(func(t *testing.T, seed []byte) { hostile(t, seed, 4, "") })
}
