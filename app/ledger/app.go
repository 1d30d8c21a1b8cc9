package ledger

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	cmtdb "github.com/cometbft/cometbft-db"
	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/libs/log"
	"github.com/cosmos/iavl"

	"ebill/app/store"
	"ebill/app/wire"
)

// AppVersion is reported in Info; it changes when the state machine's rules change.
const AppVersion = 1

// Metrics receives counts of what finalized blocks did; the node exports them to
// Prometheus. Calls come from FinalizeBlock and must not block.
type Metrics interface {
	// TxResult is called once per transaction of a block with its message type (0 when it
	// did not decode) and result code.
	TxResult(msg wire.MsgType, code wire.Code)
	// BillEvent is called once per bill transition: EventSubmitted, EventIssued,
	// EventRejected and so on.
	BillEvent(t wire.EventType)
}

// Options configure an App. The zero value is usable.
type Options struct {
	Logger  log.Logger // nil: no logging
	Metrics Metrics    // nil: none
	// Sync makes every Commit fsync. Without it a killed process loses nothing (the OS has
	// the writes) and a power cut loses at most the last blocks, which CometBFT replays.
	Sync bool
	// CacheNodes is the IAVL node cache size; 0 means 500,000 nodes.
	CacheNodes int
	// MaxPendingPerSigner caps the transactions of one signer that CheckTx admits to this
	// node's mempool before a block carries them; 0 means DefaultMaxPendingPerSigner.
	MaxPendingPerSigner int
	// KeepVersions is how many of the latest versions of the tree are kept (and up to
	// 50 more, deleted in batches); 0 keeps all (an archive node). Desks read at their latest verified header, one block back, and
	// a light node's trust rests on headers, not on old states; payloads are outside the
	// tree and never pruned. So a validator needs only the versions a slow desk may still
	// ask for (DefaultKeepVersions), and an archive node serves audits of older states.
	KeepVersions int64
	// SnapshotInterval makes the ledger write a state-sync snapshot every that many
	// blocks, under its directory's snapshots/ (keeping the latest two); 0 writes none. A
	// snapshot is written in the background and must finish within KeepVersions blocks.
	SnapshotInterval int64
}

// The validators' defaults: a pruning window of about three hours of blocks at one a
// second, and a snapshot every quarter of an hour, well inside it.
const (
	pruneBatch              = 50
	DefaultKeepVersions     = 10_000
	DefaultSnapshotInterval = 1_000
)

// App is the ebill ABCI 2.0 application. All consensus-connection calls (InitChain,
// FinalizeBlock, Commit) are serialized by the App; CheckTx, Query and Info read only
// committed versions and may run alongside them.
type App struct {
	abci.BaseApplication // vote extensions: not used

	log     log.Logger
	metrics Metrics
	db      cmtdb.DB
	// payloads holds each sealed bill payload once, by its SHA-256, outside the Merkle
	// tree, which holds only that hash (in the record): a payload is written once and
	// read rarely, and in the tree it would be rewritten into every node above it.
	payloads cmtdb.DB
	blobs    map[[32]byte][]byte // payloads of the block being finalized, written at Commit
	keep     int64               // Options.KeepVersions
	pruned   int64               // the versions up to this one are deleted

	snapDir      string // "" when the ledger writes no snapshots
	snapInterval int64
	snapMu       sync.Mutex     // held while a snapshot is written
	snapshots    sync.WaitGroup // the snapshots Commit started; Close waits for them
	stop         chan struct{}  // closed by Close: a snapshot being written gives up
	restore      *restoring     // a state sync in progress; mu guards it
	seen         *seenCache
	pending      *pending
	blockTx      [][32]byte // hashes of the transactions of the block being finalized
	// blockTime is the time of the block being finalized; lastTime, of the last committed
	// one, which CheckTx judges a bill's creation time by (zero after a restart, until the
	// next block: FinalizeBlock judges by its own block's time in any case).
	blockTime time.Time

	mu      sync.Mutex // serializes the writers of tree
	tree    *iavl.MutableTree
	newTree func() *iavl.MutableTree // opens the tree on db, as New does
	closed  bool

	// cmu is held for reading while CheckTx or Query reads committed trees, and for writing
	// while the working tree changes (IAVL's Set detaches the children of nodes that
	// committed trees share, in place) and while the fields below change.
	cmu       sync.RWMutex
	chainID   string
	committed *iavl.ImmutableTree // latest saved version; nil before the first Commit
	previous  *iavl.ImmutableTree // the one before: light clients read at their latest header − 1
	lastTime  time.Time
	genesis   *overlay // the genesis state, for CheckTx before the first Commit
}

var _ abci.Application = (*App)(nil)

// New opens the state under dir, creating it if needed; dir "" keeps it in memory. The
// versions Options.KeepVersions says are kept, so proofs can be served at those heights.
func New(dir string, opts Options) (*App, error) {
	var db, payloads cmtdb.DB = cmtdb.NewMemDB(), cmtdb.NewMemDB()
	if dir != "" {
		var err error
		if db, err = store.Open("ledger", dir); err != nil {
			return nil, err
		}
		if payloads, err = store.Open("payloads", dir); err != nil {
			db.Close()
			return nil, err
		}
	}
	if opts.CacheNodes == 0 {
		opts.CacheNodes = 500_000
	}
	if opts.Logger == nil {
		opts.Logger = log.NewNopLogger()
	}
	if opts.Metrics == nil {
		opts.Metrics = nopMetrics{}
	}
	if opts.MaxPendingPerSigner == 0 {
		opts.MaxPendingPerSigner = DefaultMaxPendingPerSigner
	}
	// Fast storage is skipped: it doubles every write and its reads race with commits.
	// The flush threshold is raised so SaveVersion writes one atomic batch: IAVL takes the
	// highest node version on disk as the latest, so a partly flushed version would look
	// committed after a crash.
	newTree := func() *iavl.MutableTree {
		return iavl.NewMutableTree(treeDB{db}, opts.CacheNodes, true, iavl.NewNopLogger(),
			iavl.SyncOption(opts.Sync), iavl.FlushThresholdOption(math.MaxInt32))
	}
	a := &App{log: opts.Logger, newTree: newTree, metrics: opts.Metrics, db: db, payloads: payloads, keep: opts.KeepVersions,
		snapInterval: opts.SnapshotInterval, seen: newSeenCache(200_000),
		pending: newPending(opts.MaxPendingPerSigner), tree: newTree(), blobs: map[[32]byte][]byte{}, stop: make(chan struct{})}
	if dir != "" && opts.SnapshotInterval > 0 {
		a.snapDir = filepath.Join(dir, "snapshots")
	}
	if err := a.load(); err != nil {
		db.Close()
		payloads.Close()
		return nil, err
	}
	return a, nil
}

// load opens the latest saved version, if any.
func (a *App) load() error {
	version, err := a.tree.Load()
	if err != nil {
		return fmt.Errorf("load ledger state: %w", err)
	}
	if version == 0 {
		return nil
	}
	imm, err := a.tree.GetImmutable(version)
	if err != nil {
		return fmt.Errorf("load ledger version %d: %w", version, err)
	}
	id, err := imm.Get(wire.ChainKey)
	if err != nil {
		return fmt.Errorf("read chain id: %w", err)
	}
	a.chainID, a.committed = string(id), imm
	return nil
}

// Close releases the database; later calls do nothing. The App must not be used after it.
func (a *App) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil
	}
	a.closed = true
	// A snapshot being written reads the databases: it stops at its next node.
	close(a.stop)
	a.snapshots.Wait()
	return errors.Join(a.tree.Close(), a.db.Close(), a.payloads.Close())
}

type nopMetrics struct{}

func (nopMetrics) TxResult(wire.MsgType, wire.Code) {}
func (nopMetrics) BillEvent(wire.EventType)         {}

// view returns the chain id and the latest committed version; cmu must be held.
func (a *App) view() (string, getter, int64) {
	if a.committed == nil {
		if a.genesis == nil {
			return a.chainID, emptyStore{}, 0
		}
		return a.chainID, a.genesis, 0
	}
	return a.chainID, a.committed, a.committed.Version()
}

// Info reports the last committed height and app hash, so CometBFT replays exactly the
// blocks the state lacks. At height 0 the hash is empty and InitChain runs.
func (a *App) Info(context.Context, *abci.InfoRequest) (*abci.InfoResponse, error) {
	a.cmu.RLock()
	defer a.cmu.RUnlock()
	res := &abci.InfoResponse{Data: "ebill", Version: "ebill/" + strconv.Itoa(AppVersion), AppVersion: AppVersion}
	if a.committed != nil {
		res.LastBlockHeight = a.committed.Version()
		res.LastBlockAppHash = a.committed.Hash()
	}
	return res, nil
}

// InitChain applies the genesis app_state and seeds ChainKey. Nothing is saved until the
// first Commit: a crash before it simply runs InitChain again.
func (a *App) InitChain(_ context.Context, req *abci.InitChainRequest) (*abci.InitChainResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if v, err := a.tree.GetLatestVersion(); err != nil || v > 0 {
		return nil, fmt.Errorf("init chain: state already at height %d (%v)", v, err)
	}
	g, err := ParseGenesis(req.AppStateBytes)
	if err != nil {
		return nil, err
	}
	// The tree is empty before the first Commit, so the genesis overlay can stand alone
	// and serve CheckTx until then.
	block := newOverlay(emptyStore{})
	if _, err := g.apply(block, req.ChainId); err != nil {
		return nil, err
	}
	block.set(wire.ChainKey, []byte(req.ChainId))
	if req.InitialHeight > 1 {
		a.tree.SetInitialVersion(uint64(req.InitialHeight))
	}
	if err := a.flush(block); err != nil {
		return nil, err
	}
	a.cmu.Lock()
	a.chainID, a.genesis = req.ChainId, block
	a.cmu.Unlock()
	return &abci.InitChainResponse{AppHash: a.tree.WorkingHash()}, nil
}

// flush writes a block's overlay into the working tree in key order.
func (a *App) flush(block *overlay) error {
	a.cmu.Lock()
	defer a.cmu.Unlock()
	for _, k := range block.sortedKeys() {
		var err error
		if v := block.writes[k]; v != nil {
			_, err = a.tree.Set([]byte(k), v)
		} else {
			_, _, err = a.tree.Remove([]byte(k))
		}
		if err != nil {
			return fmt.Errorf("write %q: %w", k, err)
		}
	}
	return nil
}

// execute authenticates tx against base and applies its message to a fresh overlay. The
// overlay then holds exactly what the transaction leaves behind: its writes and the
// signer's spent sequence when it succeeds; only the spent sequence when an authenticated
// signer's message is refused (so the refused tx cannot be replayed); nothing otherwise.
// An error that is not a *Refusal is a storage failure.
func execute(base getter, chainID string, height int64, now time.Time, tx *wire.Tx, sigOK bool) (*exec, error) {
	x := &exec{st: newOverlay(base), chainID: chainID, height: height, time: now, hash: tx.Hash}
	if err := x.authenticate(tx, sigOK); err != nil {
		return x, err
	}
	spent := x.signer
	err := mayRole(&x.signer, tx.Msg.Type())
	if err == nil {
		err = x.apply(tx.Msg)
	}
	if err != nil {
		clear(x.st.writes)
		x.events = nil
		x.putAccount(&spent)
		return x, err
	}
	x.putAccount(&x.signer)
	return x, nil
}

// authenticate checks the chain, the signatures (sigOK), the signer's account and the
// freshness of the sequence, and makes x.signer the account with the sequence spent.
func (x *exec) authenticate(tx *wire.Tx, sigOK bool) error {
	if tx.ChainID != x.chainID {
		return wire.Refuse(wire.CodeWrongChain, "transaction for chain %q, this is %q", tx.ChainID, x.chainID)
	}
	if !sigOK {
		return wire.Refuse(wire.CodeBadSignature, "signature of signer %s does not verify", short(tx.Signer))
	}
	acct, ok, err := load(x, wire.AccountKey(tx.Signer), wire.DecodeAccount)
	switch {
	case err != nil:
		return err
	case !ok:
		return wire.Refuse(wire.CodeUnknownSigner, "signer %x has no account", tx.Signer)
	case !seqFresh(&acct, tx.Seq):
		return wire.Refuse(wire.CodeReplay, "sequence %d of signer %s (%s) is used or too old; highest is %d", tx.Seq, short(acct.Pub), acct.Name, acct.Seq)
	}
	useSeq(&acct, tx.Seq)
	x.signer = acct
	return nil
}

// CheckTx admits a transaction to the mempool: it decodes and verifies it and runs it
// against the last committed state. Refusals that a transaction still in the mempool may
// cure (an issue whose approval is pending) are let through; FinalizeBlock decides them.
// A recheck after each block only authenticates again: a transaction whose sequence a block
// has spent can never succeed and leaves the mempool; everything else FinalizeBlock
// decides, so the mempool is not re-executed on every block.
func (a *App) CheckTx(_ context.Context, req *abci.CheckTxRequest) (*abci.CheckTxResponse, error) {
	tx, err := wire.DecodeTx(req.Tx)
	if err != nil {
		return checkResponse(nil, err), nil
	}
	sigOK := a.seen.has(tx.Hash) || verifySingle(tx)
	if sigOK {
		a.seen.add(tx.Hash)
	}
	a.cmu.RLock()
	defer a.cmu.RUnlock()
	chainID, committed, height := a.view()
	var x *exec
	if req.Type == abci.CHECK_TX_TYPE_RECHECK {
		x = &exec{st: newOverlay(committed), chainID: chainID}
		err = x.authenticate(tx, sigOK)
	} else {
		x, err = execute(committed, chainID, height+1, a.lastTime, tx, sigOK)
	}
	code, ok := wire.CodeOf(err)
	switch {
	case !ok:
		return nil, err
	case req.Type == abci.CHECK_TX_TYPE_RECHECK:
		if code != wire.CodeOK {
			a.pending.release(tx.Hash) // the mempool drops it
		}
	case code == wire.CodeOK || code.Transient():
		err = nil
		if !a.pending.admit(tx, height) {
			err = wire.Refuse(wire.CodeMempoolQuota, "signer %s has %d transactions waiting in this node's mempool", short(tx.Signer), a.pending.quota)
		}
	}
	return checkResponse(x, err), nil
}

func checkResponse(x *exec, err error) *abci.CheckTxResponse {
	code, why, data := outcome(x, err)
	return &abci.CheckTxResponse{Code: uint32(code), Log: why, Data: data, GasWanted: 1}
}

// outcome turns an execution into a result code, log and data.
func outcome(x *exec, err error) (wire.Code, string, []byte) {
	var data []byte
	if x != nil && x.result.BillID != "" {
		data = x.result.Encode()
	}
	var r *wire.Refusal
	if errors.As(err, &r) {
		return r.Code, r.Error(), data
	}
	return wire.CodeOK, "", data
}

// decodeBlock decodes a block's transactions and verifies the signatures this node has not
// verified before, in one batch over the cores.
func (a *App) decodeBlock(raw [][]byte) ([]*wire.Tx, []error, []bool) {
	txs := make([]*wire.Tx, len(raw))
	errs := make([]error, len(raw))
	sigOK := make([]bool, len(raw))
	var todo []*wire.Tx
	var at []int
	for i, b := range raw {
		txs[i], errs[i] = wire.DecodeTx(b)
		switch {
		case errs[i] != nil:
		case a.seen.has(txs[i].Hash):
			sigOK[i] = true
		default:
			todo = append(todo, txs[i])
			at = append(at, i)
		}
	}
	for j, ok := range verifyBatch(todo) {
		sigOK[at[j]] = ok
		if ok {
			a.seen.add(todo[j].Hash)
		}
	}
	return txs, errs, sigOK
}

// PrepareProposal keeps, in mempool order, the transactions that decode, validate and
// verify, up to
// MaxTxBytes as CometBFT counts them (with their protobuf framing).
func (a *App) PrepareProposal(_ context.Context, req *abci.PrepareProposalRequest) (*abci.PrepareProposalResponse, error) {
	_, errs, sigOK := a.decodeBlock(req.Txs)
	out := make([][]byte, 0, len(req.Txs))
	var size int64
	for i, tx := range req.Txs {
		if errs[i] != nil || !sigOK[i] {
			continue
		}
		n := int64(1 + len(binary.AppendUvarint(nil, uint64(len(tx)))) + len(tx))
		if size+n > req.MaxTxBytes {
			break
		}
		size += n
		out = append(out, tx)
	}
	return &abci.PrepareProposalResponse{Txs: out}, nil
}

// ProcessProposal rejects a block holding a transaction that no honest proposer would
// include: undecodable, oversize, with invalid fields or with a bad signature. Stateful refusals are results
// of FinalizeBlock, not grounds to reject a block.
func (a *App) ProcessProposal(_ context.Context, req *abci.ProcessProposalRequest) (*abci.ProcessProposalResponse, error) {
	_, errs, sigOK := a.decodeBlock(req.Txs)
	for i := range req.Txs {
		if errs[i] != nil || !sigOK[i] {
			return &abci.ProcessProposalResponse{Status: abci.PROCESS_PROPOSAL_STATUS_REJECT}, nil
		}
	}
	return &abci.ProcessProposalResponse{Status: abci.PROCESS_PROPOSAL_STATUS_ACCEPT}, nil
}

// FinalizeBlock executes a decided block into the working tree and returns the new app
// hash; Commit saves it.
func (a *App) FinalizeBlock(_ context.Context, req *abci.FinalizeBlockRequest) (*abci.FinalizeBlockResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if want := a.tree.WorkingVersion(); req.Height != want {
		return nil, fmt.Errorf("finalize block %d: the state expects block %d", req.Height, want)
	}
	a.cmu.RLock()
	chainID := a.chainID
	a.cmu.RUnlock()
	txs, errs, sigOK := a.decodeBlock(req.Txs)
	a.blockTx, a.blockTime = a.blockTx[:0], req.Time
	for _, tx := range txs {
		if tx != nil {
			a.blockTx = append(a.blockTx, tx.Hash)
		}
	}
	block := newOverlay(a.tree)
	results := make([]*abci.ExecTxResult, len(req.Txs))
	for i, tx := range txs {
		var x *exec
		err := errs[i]
		if err == nil {
			x, err = execute(block, chainID, req.Height, req.Time, tx, sigOK[i])
			if _, ok := wire.CodeOf(err); !ok {
				return nil, fmt.Errorf("finalize block %d tx %d: %w", req.Height, i, err)
			}
			x.st.mergeInto(block)
			if err == nil {
				maps.Copy(a.blobs, x.blobs)
			}
		}
		code, why, data := outcome(x, err)
		res := &abci.ExecTxResult{Code: uint32(code), Log: why, Data: data, GasWanted: 1}
		results[i] = res
		var msgType wire.MsgType
		if tx != nil {
			msgType = tx.Msg.Type()
		}
		a.metrics.TxResult(msgType, code)
		if err != nil {
			a.log.Debug("tx refused", "height", req.Height, "index", i, "log", why)
			continue
		}
		res.GasUsed = 1
		res.Events = []abci.Event{txEvent(tx, x)}
		for _, t := range x.events {
			a.metrics.BillEvent(t)
		}
	}
	if err := a.flush(block); err != nil {
		return nil, fmt.Errorf("finalize block %d: %w", req.Height, err)
	}
	return &abci.FinalizeBlockResponse{TxResults: results, AppHash: a.tree.WorkingHash()}, nil
}

// savePayloads writes the block's payloads in one synced batch, in hash order.
func (a *App) savePayloads() error {
	if len(a.blobs) == 0 {
		return nil
	}
	batch := a.payloads.NewBatch()
	defer batch.Close()
	for _, h := range slices.SortedFunc(maps.Keys(a.blobs), func(x, y [32]byte) int { return bytes.Compare(x[:], y[:]) }) {
		if err := batch.Set(h[:], a.blobs[h]); err != nil {
			return fmt.Errorf("payload %x: %w", h, err)
		}
	}
	if err := batch.WriteSync(); err != nil {
		return fmt.Errorf("write payloads: %w", err)
	}
	clear(a.blobs)
	return nil
}

// txEvent describes a successful transaction for clients waiting on it: ebill.action,
// ebill.signer, ebill.seq and, for bill messages, ebill.bill and what the ledger assigned.
// Only the bill ids are indexed (tx_search "ebill.bill='…'"): every indexed attribute
// costs the node's tx indexer a write per transaction.
func txEvent(tx *wire.Tx, x *exec) abci.Event {
	ev := abci.Event{Type: "ebill"}
	add := func(k, v string, index bool) {
		if v != "" {
			ev.Attributes = append(ev.Attributes, abci.EventAttribute{Key: k, Value: v, Index: index})
		}
	}
	r := &x.result
	add("action", tx.Msg.Type().String(), false)
	add("signer", hex.EncodeToString(tx.Signer), false)
	add("seq", strconv.FormatUint(tx.Seq, 10), false)
	add("bill", r.BillID, true)
	add("status", statusOrEmpty(r.Status), false)
	add("number", r.Number, false)
	add("check_code", r.CheckCode, false)
	add("red", r.RedID, true)
	return ev
}

func statusOrEmpty(s wire.Status) string {
	if s == 0 {
		return ""
	}
	return s.String()
}

// Commit saves the working tree as the version of the block, in one atomic batch.
func (a *App) Commit(context.Context, *abci.CommitRequest) (*abci.CommitResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.cmu.Lock()
	defer a.cmu.Unlock()
	// Payloads first, synced: a crash between the two leaves payloads that no saved
	// version names yet, which the block's replay writes again.
	if err := a.savePayloads(); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	_, version, err := a.tree.SaveVersion()
	if err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	imm, err := a.tree.GetImmutable(version)
	if err != nil {
		return nil, fmt.Errorf("commit: reopen version %d: %w", version, err)
	}
	if a.snapDir != "" && version%a.snapInterval == 0 {
		a.snapshots.Go(func() { a.snapshot(version) })
	}
	// Versions are deleted in batches: one pass over the orphans of many versions costs
	// far less than a pass a block (a third more bills/s at 100,000 bills in the state).
	// Pruning never changes the app hash, so a failure is logged, not fatal: the versions
	// are deleted with the next batch.
	if k := a.keep; k > 0 && version-k-a.pruned >= min(k, pruneBatch) {
		if err := a.tree.DeleteVersionsTo(version - k); err != nil {
			a.log.Error("prune ledger versions", "to", version-k, "err", err)
		} else {
			a.pruned = version - k
		}
	}
	a.previous, a.committed, a.genesis, a.lastTime = a.committed, imm, nil, a.blockTime
	// The mempool drops the committed block's transactions now; their signers get their
	// places back, and places of transactions this node never saw again expire.
	a.pending.release(a.blockTx...)
	a.pending.expire(version)
	return &abci.CommitResponse{}, nil
}
