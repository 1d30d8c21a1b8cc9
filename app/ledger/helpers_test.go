package ledger_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	ics23 "github.com/cosmos/ics23/go"

	"ebill/app/bill"
	"ebill/app/ledger"
	"ebill/app/wire"
)

const chainID = "ebill-test"

// actor is a key holder in the test network; it counts its own sequence numbers.
type actor struct {
	name string
	priv ed25519.PrivateKey
	seq  uint64
}

func newActor(name string) *actor {
	seed := sha256.Sum256([]byte("ebill test key " + name))
	return &actor{name: name, priv: ed25519.NewKeyFromSeed(seed[:])}
}

func (a *actor) PublicKey() ed25519.PublicKey { return a.priv.Public().(ed25519.PublicKey) }
func (a *actor) Sign(m []byte) []byte         { return ed25519.Sign(a.priv, m) }

// tx signs msg with the actor's next sequence number.
func (a *actor) tx(t testing.TB, msg wire.Msg) []byte {
	t.Helper()
	a.seq++
	b, err := wire.NewTx(chainID, a, a.seq, msg)
	if err != nil {
		t.Fatalf("%s: %v", a.name, err)
	}
	return b
}

var created = time.Date(2026, 1, 5, 8, 30, 0, 0, time.FixedZone("CST", 8*3600))

// submission is a bill as a cashier of org would submit it, with a payload of n bytes.
func (a *actor) submission(org, serial string, total bill.Money, n int) *wire.SubmitBill {
	// Sealed payloads are incompressible: fill with a stream seeded by the serial.
	payload := make([]byte, n)
	seed := sha256.Sum256([]byte(org + "/" + serial))
	rand.NewChaCha8(seed).Read(payload)
	m := &wire.SubmitBill{Kind: bill.Outpatient, Org: org, Serial: serial, Code: "32060126",
		Total: total, Created: created, Revision: 1, Commitment: sha256.Sum256(payload), Payload: payload}
	return a.signed(m)
}

// signed is m with the actor's signature over its identity digest.
func (a *actor) signed(m *wire.SubmitBill) *wire.SubmitBill {
	d := m.Digest(chainID)
	m.Signature = a.Sign(d[:])
	return m
}

// revision is m submitted again as revision rev.
func (a *actor) revision(m *wire.SubmitBill, rev uint32) *wire.SubmitBill {
	r := *m
	r.Revision = rev
	return a.signed(&r)
}

// sealed stands in for a reason a desk seals with the bill's note key: the ledger stores
// it as it is, and only bounds its length.
func sealed(reason string) []byte {
	return append(make([]byte, 12), append([]byte(reason), make([]byte, 16)...)...)
}

// approval countersigns revision rev of the bill submitted as m.
func (a *actor) approval(m *wire.SubmitBill, rev uint32) *wire.Approve {
	r := *m
	r.Revision = rev
	d := r.Digest(chainID)
	c := bill.CountersignDigest(d)
	return &wire.Approve{ID: m.ID(), Revision: rev, Digest: d, Countersig: a.Sign(c[:])}
}

// network is the fixture: one bureau with two clerks and three hospitals with a cashier
// each, segments of 1,000 numbers for code 32060126.
type network struct {
	admin, clerk, clerk2, auditor *actor
	cashiers                      []*actor // cashiers[i] works at hospitals[i]
	hospitals                     []string
	genesis                       ledger.Genesis
}

const bureau = "B32000001"

func newNetwork() *network {
	n := &network{admin: newActor("admin"), clerk: newActor("clerk"), clerk2: newActor("clerk2"), auditor: newActor("auditor")}
	enc := func(s string) ledger.HexBytes { h := sha256.Sum256([]byte("enc " + s)); return h[:] }
	g := ledger.Genesis{Admin: ledger.HexBytes(n.admin.PublicKey())}
	g.Orgs = append(g.Orgs, ledger.GenesisOrg{ID: bureau, Name: "江苏省财政厅", Kind: wire.OrgBureau, EncKey: enc(bureau)})
	g.Accounts = append(g.Accounts,
		ledger.GenesisAccount{Pub: ledger.HexBytes(n.clerk.PublicKey()), EncKey: enc("clerk"), Name: "李复核", Role: wire.RoleFinance, Org: bureau},
		ledger.GenesisAccount{Pub: ledger.HexBytes(n.clerk2.PublicKey()), EncKey: enc("clerk2"), Name: "赵复核", Role: wire.RoleFinance, Org: bureau},
		ledger.GenesisAccount{Pub: ledger.HexBytes(n.auditor.PublicKey()), EncKey: enc("auditor"), Name: "钱审计", Role: wire.RoleAuditor, Org: bureau})
	g.Grants = append(g.Grants, ledger.GenesisGrant{Org: bureau, Member: ledger.HexBytes(n.clerk.PublicKey()), Wrapped: enc("wrapped clerk")})
	g.Codes = append(g.Codes, ledger.GenesisCode{Code: "32060126", Bureau: bureau})
	for i := range 3 {
		org := fmt.Sprintf("H3201000%d", i+1)
		c := newActor("cashier " + org)
		n.hospitals, n.cashiers = append(n.hospitals, org), append(n.cashiers, c)
		g.Orgs = append(g.Orgs, ledger.GenesisOrg{ID: org, Name: fmt.Sprintf("南京市第%d人民医院", i+1), Kind: wire.OrgHospital,
			CreditCode: "12320100466002000" + fmt.Sprint(i), Bureau: bureau, EncKey: enc(org)})
		g.Accounts = append(g.Accounts, ledger.GenesisAccount{Pub: ledger.HexBytes(c.PublicKey()), EncKey: enc(org + "c"), Name: "王收费", Role: wire.RoleCashier, Org: org})
		g.Grants = append(g.Grants, ledger.GenesisGrant{Org: org, Member: ledger.HexBytes(c.PublicKey()), Wrapped: enc("wrapped " + org)})
		g.Segments = append(g.Segments, ledger.GenesisSegment{Org: org, Code: "32060126", Start: uint64(i*1000 + 1), End: uint64(i*1000 + 1000)})
	}
	n.genesis = g
	return n
}

// chain drives an App through the ABCI calls in consensus order, as CometBFT would.
type chain struct {
	t      testing.TB
	app    *ledger.App
	height int64
	time   time.Time
	hashes map[int64][]byte // app hash after each block
}

func newChain(t testing.TB, dir string, g ledger.Genesis) *chain {
	t.Helper()
	return newChainOpts(t, dir, g, ledger.Options{})
}

func newChainOpts(t testing.TB, dir string, g ledger.Genesis, opts ledger.Options) *chain {
	t.Helper()
	app, err := ledger.New(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	c := &chain{t: t, app: app, time: time.Date(2026, 1, 5, 0, 30, 0, 0, time.UTC), hashes: map[int64][]byte{}}
	info := c.info()
	if info.LastBlockHeight != 0 || len(info.LastBlockAppHash) != 0 {
		t.Fatalf("fresh app Info = height %d hash %x, want 0 and empty", info.LastBlockHeight, info.LastBlockAppHash)
	}
	state, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	res, err := app.InitChain(context.Background(), &abci.InitChainRequest{ChainId: chainID, AppStateBytes: state, InitialHeight: 1, Time: c.time})
	if err != nil {
		t.Fatalf("InitChain: %v", err)
	}
	c.hashes[0] = res.AppHash
	return c
}

func (c *chain) info() *abci.InfoResponse {
	c.t.Helper()
	info, err := c.app.Info(context.Background(), &abci.InfoRequest{})
	if err != nil {
		c.t.Fatal(err)
	}
	return info
}

func (c *chain) checkTx(tx []byte) *abci.CheckTxResponse {
	c.t.Helper()
	res, err := c.app.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: tx, Type: abci.CHECK_TX_TYPE_CHECK})
	if err != nil {
		c.t.Fatalf("CheckTx: %v", err)
	}
	return res
}

// block runs CheckTx on every tx, proposes the block (PrepareProposal must keep every tx
// given and ProcessProposal accept it), finalizes and commits it, and checks Info.
func (c *chain) block(txs ...[]byte) []*abci.ExecTxResult {
	c.t.Helper()
	ctx := context.Background()
	for i, tx := range txs {
		if res := c.checkTx(tx); res.Code != 0 {
			c.t.Fatalf("CheckTx of tx %d: code %d: %s", i, res.Code, res.Log)
		}
	}
	prep, err := c.app.PrepareProposal(ctx, &abci.PrepareProposalRequest{Txs: txs, MaxTxBytes: 4 << 20, Height: c.height + 1})
	if err != nil || len(prep.Txs) != len(txs) {
		c.t.Fatalf("PrepareProposal kept %d of %d txs (err %v)", len(prep.GetTxs()), len(txs), err)
	}
	if proc, err := c.app.ProcessProposal(ctx, &abci.ProcessProposalRequest{Txs: prep.Txs, Height: c.height + 1}); err != nil || proc.Status != abci.PROCESS_PROPOSAL_STATUS_ACCEPT {
		c.t.Fatalf("ProcessProposal: %v %v", proc.GetStatus(), err)
	}
	return c.finalize(prep.Txs...)
}

// finalize finalizes and commits a block without the mempool and proposal steps, as a
// replaying node does.
func (c *chain) finalize(txs ...[]byte) []*abci.ExecTxResult {
	c.t.Helper()
	ctx := context.Background()
	c.height++
	c.time = c.time.Add(time.Second)
	fin, err := c.app.FinalizeBlock(ctx, &abci.FinalizeBlockRequest{Txs: txs, Height: c.height, Time: c.time})
	if err != nil {
		c.t.Fatalf("FinalizeBlock %d: %v", c.height, err)
	}
	if _, err := c.app.Commit(ctx, &abci.CommitRequest{}); err != nil {
		c.t.Fatalf("Commit %d: %v", c.height, err)
	}
	c.hashes[c.height] = fin.AppHash
	info := c.info()
	if info.LastBlockHeight != c.height || string(info.LastBlockAppHash) != string(fin.AppHash) {
		c.t.Fatalf("Info after block %d = height %d hash %x, want hash %x", c.height, info.LastBlockHeight, info.LastBlockAppHash, fin.AppHash)
	}
	return fin.TxResults
}

// ok finalizes txs in one block and fails unless all succeed.
func (c *chain) ok(txs ...[]byte) []*abci.ExecTxResult {
	c.t.Helper()
	res := c.block(txs...)
	for i, r := range res {
		if r.Code != 0 {
			c.t.Fatalf("block %d tx %d: code %d (%s): %s", c.height, i, r.Code, wire.Code(r.Code), r.Log)
		}
	}
	return res
}

// get queries key with a proof at height h (0: latest), checks the response shape and
// verifies the proof against the app hash of block h with ics23, and returns the value
// (nil when the proof shows the key absent).
func (c *chain) get(key []byte, h int64) []byte {
	c.t.Helper()
	res, err := c.app.Query(context.Background(), &abci.QueryRequest{Path: wire.QueryKey, Data: key, Height: h, Prove: true})
	if err != nil || res.Code != 0 {
		c.t.Fatalf("Query %q at %d: code %d %s %v", key, h, res.GetCode(), res.GetLog(), err)
	}
	want := h
	if h == 0 {
		want = c.height
	}
	if res.Height != want || string(res.Key) != string(key) {
		c.t.Fatalf("Query %q at %d echoed key %q height %d", key, h, res.Key, res.Height)
	}
	if res.ProofOps == nil || len(res.ProofOps.Ops) != 1 {
		c.t.Fatalf("Query %q: want exactly one proof op, got %v", key, res.ProofOps)
	}
	op := res.ProofOps.Ops[0]
	if op.Type != wire.ProofOpType || string(op.Key) != string(key) {
		c.t.Fatalf("Query %q: proof op type %q key %q", key, op.Type, op.Key)
	}
	var p ics23.CommitmentProof
	if err := p.Unmarshal(op.Data); err != nil {
		c.t.Fatalf("Query %q: proof: %v", key, err)
	}
	root := c.hashes[want]
	if res.Value != nil {
		if !ics23.VerifyMembership(ics23.IavlSpec, root, &p, key, res.Value) {
			c.t.Fatalf("Query %q at %d: existence proof does not verify against %x", key, want, root)
		}
		return res.Value
	}
	if !ics23.VerifyNonMembership(ics23.IavlSpec, root, &p, key) {
		c.t.Fatalf("Query %q at %d: absence proof does not verify against %x", key, want, root)
	}
	return nil
}

func (c *chain) bill(id string) wire.BillRecord {
	c.t.Helper()
	v := c.get(wire.BillKey(id), 0)
	if v == nil {
		c.t.Fatalf("bill %s not found", id)
	}
	b, err := wire.DecodeBillRecord(v)
	if err != nil {
		c.t.Fatal(err)
	}
	return b
}

func result(t testing.TB, r *abci.ExecTxResult) wire.Result {
	t.Helper()
	res, err := wire.DecodeResult(r.Data)
	if err != nil {
		t.Fatalf("result data %x: %v", r.Data, err)
	}
	return res
}
