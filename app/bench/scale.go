package bench

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"io"
	"io/fs"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	ics23 "github.com/cosmos/ics23/go"

	"ebill/app/bill"
	"ebill/app/ledger"
	"ebill/app/node/localnet"
	"ebill/app/wire"
	"ebill/wallet"
)

// ScaleConfig says which ledger sizes Scale measures and how.
type ScaleConfig struct {
	// StateBills are the sizes of the state each measure starts from, in bills; 0 is the
	// empty ledger every other size is compared with.
	StateBills []int
	Dir        string // a directory per size is made below it, and removed after
	Hospitals  int    // default 20, under two bureaus, each with an outpatient and an inpatient code
	Payload    int    // bytes of each sealed payload; default 2,600, a six-item bill's envelope
	Block      int    // bills a block during the fill; default 1,000
	Measure    int    // bills committed on top of the state for bills/s; default 10,000
	Reads      int    // verified reads sampled; default 2,000
	// Keep is the ledger's pruning window in versions (blocks); default 100. A fill block
	// holds a thousand bills where a province's blocks hold a few, so the window is
	// scaled down with it: what is measured is the state of a pruned validator.
	Keep int
	// VerifyAll proves every bill, and fetches and checks its payload, in the pruned
	// ledger and in the one restored from its snapshot: a check for tests, not a measure.
	VerifyAll bool
	Log       func(format string, args ...any)
}

// ScalePoint is what Scale measured on a ledger of StateBills bills. The ledger runs in this
// process through its ABCI calls (FinalizeBlock, Commit, Query), without consensus: the
// block store, its indexes and a node's catch-up are not in these figures.
type ScalePoint struct {
	StateBills int     `json:"state_bills"`
	FillS      float64 `json:"fill_s"` // building the state (signing, executing, committing)
	// BillsPerS is bills taken through submit, approve and issue per second of
	// FinalizeBlock and Commit on top of the state; RatioToEmpty compares it with N = 0.
	BillsPerS    float64 `json:"bills_per_s"`
	RatioToEmpty float64 `json:"ratio_to_empty"`
	// StateBytesPerBill is the Merkle tree with its indexes (ledger.db); PayloadBytesPerBill
	// the payload store; DiskBytesPerBill both (the block store is not measured here).
	StateBytesPerBill   float64 `json:"state_bytes_per_bill"`
	PayloadBytesPerBill float64 `json:"payload_bytes_per_bill"`
	DiskBytesPerBill    float64 `json:"disk_bytes_per_bill"`
	// A verified read: a proven query of a random issued bill and its ics23 proof checked
	// against the app hash, in process (no network, no header verification).
	ReadP50Ms  float64 `json:"read_p50_ms"`
	ReadP99Ms  float64 `json:"read_p99_ms"`
	ProofBytes int     `json:"proof_bytes"` // median
	RSSBytes   int64   `json:"rss_bytes"`   // of this process after the measured run
	RestartS   float64 `json:"restart_s"`   // reopening the state and serving the first proven read
	// A state-sync snapshot of the whole state (tree and payloads): the time to write it,
	// its size, and the time a fresh ledger takes to restore it, check the app hash and
	// serve the first proven read.
	SnapshotS            float64 `json:"snapshot_s"`
	SnapshotBytesPerBill float64 `json:"snapshot_bytes_per_bill"`
	RestoreS             float64 `json:"restore_s"`
}

const scaleChain = "ebill-scale"

// Scale builds a ledger of each size in cfg.StateBills and measures it; see ScalePoint.
func Scale(ctx context.Context, cfg ScaleConfig) ([]ScalePoint, error) {
	cfg.Hospitals = cmp.Or(cfg.Hospitals, 20)
	cfg.Payload = cmp.Or(cfg.Payload, 2600)
	cfg.Block = cmp.Or(cfg.Block, 1000)
	cfg.Measure = cmp.Or(cfg.Measure, 10000)
	cfg.Reads = cmp.Or(cfg.Reads, 2000)
	cfg.Keep = cmp.Or(cfg.Keep, 100)
	if cfg.Log == nil {
		cfg.Log = func(string, ...any) {}
	}
	var out []ScalePoint
	for _, n := range cfg.StateBills {
		p, err := scaleOne(ctx, cfg, n)
		if err != nil {
			return out, fmt.Errorf("scale at %d bills: %w", n, err)
		}
		if len(out) > 0 && out[0].StateBills == 0 && out[0].BillsPerS > 0 {
			p.RatioToEmpty = p.BillsPerS / out[0].BillsPerS
		} else if n == 0 {
			p.RatioToEmpty = 1
		}
		cfg.Log("state %d bills: %.0f bills/s (%.2f of empty), read p50 %.2f ms p99 %.2f ms, proof %d B, state %.0f B/bill, payloads %.0f B/bill, restart %.2f s",
			n, p.BillsPerS, p.RatioToEmpty, p.ReadP50Ms, p.ReadP99Ms, p.ProofBytes, p.StateBytesPerBill, p.PayloadBytesPerBill, p.RestartS)
		out = append(out, p)
	}
	return out, nil
}

// scaleNet is the fixture: bureaus, hospitals, their cashiers and clerks.
type scaleNet struct {
	genesis  ledger.Genesis
	cashiers []*localnet.Signer // cashiers[i] works at hospitals[i]
	clerks   []*localnet.Signer // clerks[i] at bureaus[i]
	orgs     []string           // hospitals
	bureauOf []int
	codes    [][2]string // per bureau: outpatient and inpatient code
}

func newScaleNet(hospitals int) (*scaleNet, error) {
	var err error
	key := func(name string) *localnet.Signer {
		id, e := wallet.NewIdentity(name)
		err = cmp.Or(err, e)
		return localnet.NewSigner(scaleChain, id, 0)
	}
	pub := func(s *localnet.Signer) ledger.HexBytes { return ledger.HexBytes(s.ID.PublicKey()) }
	enc := func(s *localnet.Signer) ledger.HexBytes { return s.ID.Public().KEMKey }
	admin := key("admin")
	n := &scaleNet{codes: [][2]string{{"32060126", "32060226"}, {"32070126", "32070226"}}}
	g := ledger.Genesis{Admin: pub(admin)}
	for b := range 2 {
		id := fmt.Sprintf("B3200000%d", b+1)
		clerk := key("clerk-" + id)
		n.clerks = append(n.clerks, clerk)
		g.Orgs = append(g.Orgs, ledger.GenesisOrg{ID: id, Name: "财政局" + id, Kind: wire.OrgBureau, EncKey: enc(clerk)})
		g.Accounts = append(g.Accounts, ledger.GenesisAccount{Pub: pub(clerk), EncKey: enc(clerk),
			Name: "复核" + id, Role: wire.RoleFinance, Org: id})
		for _, c := range n.codes[b] {
			g.Codes = append(g.Codes, ledger.GenesisCode{Code: c, Bureau: id})
		}
	}
	for i := range hospitals {
		b := i % 2
		id := fmt.Sprintf("H320100%03d", i+1)
		c := key("cashier-" + id)
		n.cashiers, n.orgs, n.bureauOf = append(n.cashiers, c), append(n.orgs, id), append(n.bureauOf, b)
		g.Orgs = append(g.Orgs, ledger.GenesisOrg{ID: id, Name: "医院" + id, Kind: wire.OrgHospital, CreditCode: "12320100466002000X",
			Bureau: g.Orgs[b].ID, EncKey: enc(c)})
		g.Accounts = append(g.Accounts, ledger.GenesisAccount{Pub: pub(c), EncKey: enc(c),
			Name: "收费" + id, Role: wire.RoleCashier, Org: id})
		for _, code := range n.codes[b] {
			g.Segments = append(g.Segments, ledger.GenesisSegment{Org: id, Code: code,
				Start: uint64(i)*50_000_000 + 1, End: uint64(i+1) * 50_000_000})
		}
	}
	n.genesis = g
	return n, err
}

// scaleChainState drives one ledger through its ABCI calls.
type scaleChainState struct {
	app    *ledger.App
	height int64
	time   time.Time
	hash   []byte
}

func (c *scaleChainState) block(ctx context.Context, txs [][]byte) error {
	c.height++
	c.time = c.time.Add(time.Second)
	res, err := c.app.FinalizeBlock(ctx, &abci.FinalizeBlockRequest{Txs: txs, Height: c.height, Time: c.time})
	if err != nil {
		return err
	}
	for i, r := range res.TxResults {
		if r.Code != 0 {
			return fmt.Errorf("block %d tx %d: %s", c.height, i, r.Log)
		}
	}
	if _, err := c.app.Commit(ctx, &abci.CommitRequest{}); err != nil {
		return err
	}
	c.hash = res.AppHash
	return nil
}

// billMsgs are the messages of some bills, each with its signer: submissions, approvals,
// issues and, for one bill in fifty, a reversal.
type billMsgs struct{ submit, approve, issue, reverse []signed }

type signed struct {
	s   *localnet.Signer
	msg wire.Msg
}

func (n *scaleNet) bills(rng *mrand.Rand, payload, first, count int) (billMsgs, []string) {
	var t billMsgs
	var ids []string
	buf := make([]byte, payload)
	for k := first; k < first+count; k++ {
		h := rng.IntN(len(n.orgs))
		cashier, clerk := n.cashiers[h], n.clerks[n.bureauOf[h]]
		kind, code := bill.Outpatient, n.codes[n.bureauOf[h]][0]
		if k%5 == 0 {
			kind, code = bill.Inpatient, n.codes[n.bureauOf[h]][1]
		}
		rand.Read(buf)
		serial := sha256.Sum256(fmt.Appendf(nil, "serial %d", k))
		m := &wire.SubmitBill{Kind: kind, Org: n.orgs[h], Serial: fmt.Sprintf("%x", serial), Code: code,
			Total: bill.Money(100 + rng.IntN(1_000_000)), Created: time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC),
			Revision: 1, Commitment: sha256.Sum256(buf), Payload: slices.Clone(buf)}
		d := m.Digest(scaleChain)
		m.Signature = cashier.ID.Sign(d[:])
		c := bill.CountersignDigest(d)
		t.submit = append(t.submit, signed{cashier, m})
		t.approve = append(t.approve, signed{clerk, &wire.Approve{ID: m.ID(), Revision: 1, Digest: d, Countersig: clerk.ID.Sign(c[:])}})
		t.issue = append(t.issue, signed{cashier, &wire.Issue{ID: m.ID()}})
		if (k-first)%50 == 0 { // by position in the batch, as blocks finds them
			red := *m
			red.Serial, red.Total = fmt.Sprintf("%x", sha256.Sum256([]byte(m.Serial+"-R"))), -m.Total
			rd := red.Digest(scaleChain)
			red.Signature = cashier.ID.Sign(rd[:])
			t.reverse = append(t.reverse, signed{cashier, &wire.Reverse{ID: m.ID(), Reason: make([]byte, 60), Red: red}})
		}
		ids = append(ids, m.ID())
	}
	return t, ids
}

// blocks signs the bills' transactions into blocks of size bills, each bill's steps in
// successive blocks, as a pipelined window does: block j holds the submissions of batch
// j, the approvals of batch j-1, the issues of batch j-2 and the reversals of batch j-3.
// Transactions are signed in block order, so every signer's sequence rises block by block.
func blocks(t billMsgs, size int) ([][][]byte, error) {
	batches := (len(t.submit) + size - 1) / size
	batch := func(ms []signed, lo, hi func(int) int, j int) []signed {
		if j < 0 || j >= batches {
			return nil
		}
		return ms[lo(j):hi(j)]
	}
	all := func(j int) int { return j * size }
	end := func(j int) int { return min((j+1)*size, len(t.submit)) }
	// One bill in fifty is reversed: those of batch j are its bills at positions k with
	// k%50 == 0.
	red := func(j int) int { return (j*size + 49) / 50 }
	redEnd := func(j int) int { return (end(j) + 49) / 50 }
	var out [][][]byte
	for j := 0; j < batches+3; j++ {
		var ms []signed
		ms = append(ms, batch(t.submit, all, end, j)...)
		ms = append(ms, batch(t.approve, all, end, j-1)...)
		ms = append(ms, batch(t.issue, all, end, j-2)...)
		ms = append(ms, batch(t.reverse, red, redEnd, j-3)...)
		txs := make([][]byte, len(ms))
		for i, m := range ms {
			var err error
			if txs[i], err = m.s.Tx(m.msg); err != nil {
				return nil, err
			}
		}
		out = append(out, txs)
	}
	return out, nil
}

// run commits the blocks.
func (c *scaleChainState) run(ctx context.Context, blocks [][][]byte) error {
	for _, txs := range blocks {
		if err := c.block(ctx, txs); err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

func scaleOne(ctx context.Context, cfg ScaleConfig, n int) (ScalePoint, error) {
	p := ScalePoint{StateBills: n}
	dir := filepath.Join(cfg.Dir, fmt.Sprintf("state-%d", n))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return p, err
	}
	defer os.RemoveAll(dir)
	// Snapshots only when asked (App.Snapshot), never by interval during the fill.
	opts := ledger.Options{KeepVersions: int64(cfg.Keep), SnapshotInterval: 1 << 62}
	app, err := ledger.New(dir, opts)
	if err != nil {
		return p, err
	}
	defer func() { app.Close() }()
	net, err := newScaleNet(cfg.Hospitals)
	if err != nil {
		return p, err
	}
	state, err := json.Marshal(net.genesis)
	if err != nil {
		return p, err
	}
	c := &scaleChainState{app: app, time: time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)}
	if _, err := app.InitChain(ctx, &abci.InitChainRequest{ChainId: scaleChain, AppStateBytes: state, InitialHeight: 1, Time: c.time}); err != nil {
		return p, err
	}
	rng := mrand.New(mrand.NewPCG(uint64(n), 1))
	start := time.Now()
	var ids []string
	// Fill in chunks, so the signed transactions of a million bills never sit in memory.
	for done := 0; done < n; {
		k := min(20*cfg.Block, n-done)
		msgs, chunk := net.bills(rng, cfg.Payload, done, k)
		bs, err := blocks(msgs, cfg.Block)
		if err != nil {
			return p, err
		}
		if err := c.run(ctx, bs); err != nil {
			return p, err
		}
		ids = append(ids, chunk...)
		done += k
		cfg.Log("state %d: %d bills filled in %v", n, done, time.Since(start).Round(time.Second))
	}
	p.FillS = time.Since(start).Seconds()

	// Bills/s on top of the state: signing is done before the clock starts.
	msgs, more := net.bills(rng, cfg.Payload, n, cfg.Measure)
	bs, err := blocks(msgs, cfg.Block)
	if err != nil {
		return p, err
	}
	start = time.Now()
	if err := c.run(ctx, bs); err != nil {
		return p, err
	}
	p.BillsPerS = float64(cfg.Measure) / time.Since(start).Seconds()
	ids = append(ids, more...)
	if _, rss, err := procUsage(os.Getpid()); err == nil {
		p.RSSBytes = rss << 10
	}
	if err := c.reads(ctx, &p, ids, cfg.Reads, rng); err != nil {
		return p, err
	}
	if err := c.syncNew(ctx, &p, filepath.Join(cfg.Dir, fmt.Sprintf("restored-%d", n)), ids, cfg.VerifyAll); err != nil {
		return p, fmt.Errorf("state sync: %w", err)
	}

	// Restart: close, measure the disk, reopen and serve one proven read.
	if err := app.Close(); err != nil {
		return p, err
	}
	bills := float64(n + cfg.Measure)
	tree, payloads := dirSize(filepath.Join(dir, "ledger.db")), dirSize(filepath.Join(dir, "payloads.db"))
	p.StateBytesPerBill, p.PayloadBytesPerBill = float64(tree)/bills, float64(payloads)/bills
	p.DiskBytesPerBill = p.StateBytesPerBill + p.PayloadBytesPerBill
	p.SnapshotBytesPerBill = float64(dirSize(filepath.Join(dir, "snapshots"))) / bills
	start = time.Now()
	if app, err = ledger.New(dir, opts); err != nil {
		return p, err
	}
	c.app = app
	if _, _, err := c.prove(ctx, ids[0]); err != nil {
		return p, err
	}
	p.RestartS = time.Since(start).Seconds()
	return p, nil
}

// syncNew writes a snapshot of the state and restores it into a fresh ledger under dir, as
// a joining node does, then serves a proven read of the first bill from it; with all,
// every bill from both ledgers.
func (c *scaleChainState) syncNew(ctx context.Context, p *ScalePoint, dir string, ids []string, all bool) error {
	defer os.RemoveAll(dir)
	start := time.Now()
	height, err := c.app.Snapshot()
	if err != nil {
		return err
	}
	p.SnapshotS = time.Since(start).Seconds()
	list, err := c.app.ListSnapshots(ctx, &abci.ListSnapshotsRequest{})
	if err != nil {
		return err
	}
	i := slices.IndexFunc(list.Snapshots, func(s *abci.Snapshot) bool { return int64(s.Height) == height })
	if i < 0 {
		return fmt.Errorf("no snapshot of height %d listed", height)
	}
	snap := list.Snapshots[i]
	start = time.Now()
	fresh, err := ledger.New(dir, ledger.Options{})
	if err != nil {
		return err
	}
	defer fresh.Close()
	offer, err := fresh.OfferSnapshot(ctx, &abci.OfferSnapshotRequest{Snapshot: snap, AppHash: c.hash})
	if err != nil || offer.Result != abci.OFFER_SNAPSHOT_RESULT_ACCEPT {
		return fmt.Errorf("offer: %v %v", offer.GetResult(), err)
	}
	for k := uint32(0); k < snap.Chunks; k++ {
		chunk, err := c.app.LoadSnapshotChunk(ctx, &abci.LoadSnapshotChunkRequest{Height: snap.Height, Format: snap.Format, Chunk: k})
		if err != nil {
			return err
		}
		res, err := fresh.ApplySnapshotChunk(ctx, &abci.ApplySnapshotChunkRequest{Index: k, Chunk: chunk.Chunk})
		if err != nil || res.Result != abci.APPLY_SNAPSHOT_CHUNK_RESULT_ACCEPT {
			return fmt.Errorf("chunk %d: %v %v", k, res.GetResult(), err)
		}
	}
	restored := &scaleChainState{app: fresh, height: c.height, hash: c.hash}
	if _, _, err := restored.prove(ctx, ids[0]); err != nil {
		return err
	}
	p.RestoreS = time.Since(start).Seconds()
	if !all {
		return nil
	}
	for _, ledger := range []*scaleChainState{c, restored} {
		for _, id := range ids {
			_, rec, err := ledger.prove(ctx, id)
			if err != nil {
				return err
			}
			res, err := ledger.app.Query(ctx, &abci.QueryRequest{Path: wire.QueryPayload, Data: rec.Payload[:]})
			if err != nil || res.Code != 0 || sha256.Sum256(res.Value) != rec.Payload {
				return fmt.Errorf("bill %s: payload %x not served: %v %s", id, rec.Payload, err, res.GetLog())
			}
		}
	}
	return nil
}

// reads samples proven reads of random bills, each proof checked against the app hash.
func (c *scaleChainState) reads(ctx context.Context, p *ScalePoint, ids []string, count int, rng *mrand.Rand) error {
	lat := make([]time.Duration, count)
	proofs := make([]float64, count)
	for i := range count {
		start := time.Now()
		size, _, err := c.prove(ctx, ids[rng.IntN(len(ids))])
		if err != nil {
			return err
		}
		lat[i], proofs[i] = time.Since(start), float64(size)
	}
	l := summarise(lat)
	p.ReadP50Ms, p.ReadP99Ms, p.ProofBytes = l.P50, l.P99, int(median(proofs))
	return nil
}

// prove reads bill id with a proof at the latest height and checks it; it returns the
// proof's size and the record.
func (c *scaleChainState) prove(ctx context.Context, id string) (int, wire.BillRecord, error) {
	key := wire.BillKey(id)
	res, err := c.app.Query(ctx, &abci.QueryRequest{Path: wire.QueryKey, Data: key, Height: c.height, Prove: true})
	if err != nil || res.Code != 0 || res.ProofOps == nil || len(res.ProofOps.Ops) != 1 {
		return 0, wire.BillRecord{}, fmt.Errorf("read %s: %v %s", id, err, res.GetLog())
	}
	op := res.ProofOps.Ops[0]
	var proof ics23.CommitmentProof
	if err := proof.Unmarshal(op.Data); err != nil {
		return 0, wire.BillRecord{}, err
	}
	if !ics23.VerifyMembership(ics23.IavlSpec, c.hash, &proof, key, res.Value) {
		return 0, wire.BillRecord{}, fmt.Errorf("read %s: the proof does not verify against %X", id, c.hash)
	}
	rec, err := wire.DecodeBillRecord(res.Value)
	return len(op.Data), rec, err
}

func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// WriteScaleChart draws each measure of points against the state size, one panel each.
func WriteScaleChart(w io.Writer, points []ScalePoint) error {
	measures := []struct {
		title string
		v     func(ScalePoint) float64
	}{
		{"bills/s committed (ABCI, no consensus)", func(p ScalePoint) float64 { return p.BillsPerS }},
		{"verified read p99 ms", func(p ScalePoint) float64 { return p.ReadP99Ms }},
		{"proof bytes", func(p ScalePoint) float64 { return float64(p.ProofBytes) }},
		{"state bytes per bill (tree + indexes)", func(p ScalePoint) float64 { return p.StateBytesPerBill }},
		{"restart s", func(p ScalePoint) float64 { return p.RestartS }},
	}
	const ph = 150
	h := marginTop + len(measures)*(ph+panelSpace)
	img := image.NewRGBA(image.Rect(0, 0, chartW, h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	maxT := max(len(points)-1, 1)
	label(img, marginL, 16, "ebill ledger against the bills in its state (in process, no consensus)", colAxis)
	xLabel := func(i int) string {
		if i >= len(points) {
			return ""
		}
		return fmt.Sprint(points[i].StateBills)
	}
	for i, m := range measures {
		top := marginTop + i*(ph+panelSpace)
		r := image.Rect(marginL, top, chartW-marginR, top+ph)
		ys := make([]float64, len(points))
		var hi float64
		for j, p := range points {
			ys[j] = m.v(p)
			hi = max(hi, ys[j])
		}
		panel(img, r, maxT, niceMax(hi), m.title, xLabel)
		for j := 1; j < len(ys); j++ {
			line(img, xAt(r, maxT, float64(j-1)), yAt(r, niceMax(hi), ys[j-1]), xAt(r, maxT, float64(j)), yAt(r, niceMax(hi), ys[j]), colEbill, 1)
		}
	}
	return png.Encode(w, img)
}
