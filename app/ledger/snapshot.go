package ledger

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cosmos/iavl"

	"ebill/app/wire"
)

// State sync. Every Options.SnapshotInterval blocks a node writes a snapshot of its state
// in the background: the IAVL tree as IAVL exports it, and beside each payload hash the
// payload it names, so a node that joins from the snapshot can serve every bill's payload
// (they are not in the blocks it skips). A snapshot is chunks of at most snapshotChunk
// bytes; its metadata lists the chunks' SHA-256, and its hash is the SHA-256 of that list,
// so a restoring node checks each chunk as it arrives and CometBFT checks the restored
// app hash against a header its light client verified.

// SnapshotFormat is the format of the snapshots this version writes and restores.
const SnapshotFormat = 1

const (
	snapshotChunk = 4 << 20
	snapshotsKept = 2
	recordNode    = 1
	recordPayload = 2
)

// snapshotMeta is a snapshot's metadata, as JSON: the SHA-256 of each chunk.
type snapshotMeta struct {
	Chunks [][]byte `json:"chunks"`
}

func (m *snapshotMeta) hash() []byte {
	h := sha256.New()
	for _, c := range m.Chunks {
		h.Write(c)
	}
	return h.Sum(nil)
}

// restoring is a state sync in progress.
type restoring struct {
	height  int64
	appHash []byte
	meta    snapshotMeta
	next    uint32
	imp     *iavl.Importer
}

// Snapshot writes a snapshot of the latest committed version now, waiting for one being
// written to finish first, and returns its height; the ledger must have been opened with
// a SnapshotInterval.
func (a *App) Snapshot() (int64, error) {
	a.cmu.RLock()
	committed := a.committed
	a.cmu.RUnlock()
	if a.snapDir == "" || committed == nil {
		return 0, errors.New("snapshot: the ledger keeps no snapshots, or has no state yet")
	}
	a.snapMu.Lock()
	defer a.snapMu.Unlock()
	return committed.Version(), a.writeSnapshot(committed.Version())
}

// snapshot writes the snapshot of version under a.snapDir, unless one is being written.
// It reads the version through a tree of its own: the working tree's cached nodes change
// in place as blocks commit, a version's nodes on disk do not.
func (a *App) snapshot(version int64) {
	if !a.snapMu.TryLock() {
		a.log.Info("snapshot skipped: the previous one is still being written", "height", version)
		return
	}
	defer a.snapMu.Unlock()
	if err := a.writeSnapshot(version); err != nil {
		a.log.Error("snapshot", "height", version, "err", err)
	}
}

// writeSnapshot writes the snapshot of version and keeps the latest snapshotsKept; snapMu
// must be held.
func (a *App) writeSnapshot(version int64) error {
	ro := iavl.NewMutableTree(treeDB{a.db}, 10_000, true, iavl.NewNopLogger())
	tree, err := ro.GetImmutable(version)
	if err != nil {
		return err
	}
	if err := writeSnapshot(a.snapDir, tree, a.payloads.Get, a.stop); err != nil {
		return err
	}
	heights, err := snapshotHeights(a.snapDir)
	if err != nil {
		return err
	}
	for _, h := range heights[:max(0, len(heights)-snapshotsKept)] {
		os.RemoveAll(filepath.Join(a.snapDir, strconv.FormatInt(h, 10)))
	}
	return nil
}

// writeSnapshot writes tree's snapshot to dir/HEIGHT, whole or not at all.
func writeSnapshot(dir string, tree *iavl.ImmutableTree, payload func([]byte) ([]byte, error), stop <-chan struct{}) error {
	height := tree.Version()
	tmp := filepath.Join(dir, fmt.Sprintf(".%d.tmp", height))
	os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	exp, err := tree.Export()
	if err != nil {
		return err
	}
	defer exp.Close()
	var meta snapshotMeta
	var chunk []byte
	flush := func() error {
		sum := sha256.Sum256(chunk)
		if err := os.WriteFile(filepath.Join(tmp, strconv.Itoa(len(meta.Chunks))), chunk, 0o600); err != nil {
			return err
		}
		meta.Chunks, chunk = append(meta.Chunks, sum[:]), chunk[:0]
		return nil
	}
	billPrefix, historyPrefix := wire.BillKey("")[:2], wire.HistoryKey("", 0)[:2]
	for {
		select {
		case <-stop:
			return fmt.Errorf("snapshot of version %d: the ledger is closing", height)
		default:
		}
		n, err := exp.Next()
		if errors.Is(err, iavl.ErrorExportDone) {
			break
		}
		if err != nil {
			return fmt.Errorf("export version %d: %w", height, err)
		}
		chunk = append(chunk, recordNode)
		chunk = appendField(chunk, n.Key)
		chunk = appendField(chunk, n.Value)
		chunk = binary.AppendVarint(chunk, n.Version)
		chunk = append(chunk, byte(n.Height))
		if h, ok, err := payloadOf(n, billPrefix, historyPrefix); err != nil {
			return err
		} else if ok {
			p, err := payload(h[:])
			if err != nil || p == nil {
				return fmt.Errorf("payload %x of %q is not stored: %v", h, n.Key, err)
			}
			chunk = append(chunk, recordPayload)
			chunk = appendField(chunk, h[:])
			chunk = appendField(chunk, p)
		}
		if len(chunk) >= snapshotChunk-wire.MaxTxSize {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	raw, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, "meta.json"), raw, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, strconv.FormatInt(height, 10)))
}

// payloadOf is the payload hash a leaf's record names: a bill's current revision's, or an
// earlier revision's in its History.
func payloadOf(n *iavl.ExportNode, billPrefix, historyPrefix []byte) ([32]byte, bool, error) {
	switch {
	case n.Height != 0:
		return [32]byte{}, false, nil
	case bytes.HasPrefix(n.Key, billPrefix):
		b, err := wire.DecodeBillRecord(n.Value)
		return b.Payload, err == nil, err
	case bytes.HasPrefix(n.Key, historyPrefix):
		h, err := wire.DecodeHistory(n.Value)
		return h.Payload, err == nil, err
	}
	return [32]byte{}, false, nil
}

func appendField(b, f []byte) []byte {
	return append(binary.AppendUvarint(b, uint64(len(f))), f...)
}

// snapshotHeights lists the complete snapshots in dir, oldest first.
func snapshotHeights(dir string) ([]int64, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var hs []int64
	for _, e := range entries {
		if h, err := strconv.ParseInt(e.Name(), 10, 64); err == nil && e.IsDir() {
			hs = append(hs, h)
		}
	}
	slices.Sort(hs)
	return hs, nil
}

func readMeta(dir string, height int64) (snapshotMeta, []byte, error) {
	var m snapshotMeta
	raw, err := os.ReadFile(filepath.Join(dir, strconv.FormatInt(height, 10), "meta.json"))
	if err != nil {
		return m, nil, err
	}
	return m, raw, json.Unmarshal(raw, &m)
}

// ListSnapshots offers the snapshots this node holds to peers that state-sync.
func (a *App) ListSnapshots(context.Context, *abci.ListSnapshotsRequest) (*abci.ListSnapshotsResponse, error) {
	res := &abci.ListSnapshotsResponse{}
	if a.snapDir == "" {
		return res, nil
	}
	heights, err := snapshotHeights(a.snapDir)
	if err != nil {
		a.log.Error("list snapshots", "err", err)
		return res, nil
	}
	for _, h := range heights {
		m, raw, err := readMeta(a.snapDir, h)
		if err != nil {
			a.log.Error("snapshot metadata", "height", h, "err", err)
			continue
		}
		res.Snapshots = append(res.Snapshots, &abci.Snapshot{Height: uint64(h), Format: SnapshotFormat,
			Chunks: uint32(len(m.Chunks)), Hash: m.hash(), Metadata: raw})
	}
	return res, nil
}

// LoadSnapshotChunk serves one chunk of a snapshot; nothing when it has none.
func (a *App) LoadSnapshotChunk(_ context.Context, req *abci.LoadSnapshotChunkRequest) (*abci.LoadSnapshotChunkResponse, error) {
	res := &abci.LoadSnapshotChunkResponse{}
	if a.snapDir == "" || req.Format != SnapshotFormat {
		return res, nil
	}
	chunk, err := os.ReadFile(filepath.Join(a.snapDir, strconv.FormatUint(req.Height, 10), strconv.FormatUint(uint64(req.Chunk), 10)))
	if err == nil {
		res.Chunk = chunk
	}
	return res, nil
}

// OfferSnapshot starts restoring a snapshot into an empty ledger.
func (a *App) OfferSnapshot(_ context.Context, req *abci.OfferSnapshotRequest) (*abci.OfferSnapshotResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	answer := func(r abci.OfferSnapshotResult) (*abci.OfferSnapshotResponse, error) {
		return &abci.OfferSnapshotResponse{Result: r}, nil
	}
	s := req.Snapshot
	switch {
	case s == nil:
		return answer(abci.OFFER_SNAPSHOT_RESULT_REJECT)
	case s.Format != SnapshotFormat:
		return answer(abci.OFFER_SNAPSHOT_RESULT_REJECT_FORMAT)
	case s.Chunks == 0 || s.Height == 0 || s.Height > math.MaxInt64:
		return answer(abci.OFFER_SNAPSHOT_RESULT_REJECT)
	case a.committed != nil || a.tree.WorkingVersion() > 1:
		a.log.Error("snapshot offered to a ledger that has state", "height", a.tree.Version())
		return answer(abci.OFFER_SNAPSHOT_RESULT_ABORT)
	}
	var m snapshotMeta
	if err := json.Unmarshal(s.Metadata, &m); err != nil || len(m.Chunks) != int(s.Chunks) || !bytes.Equal(m.hash(), s.Hash) {
		return answer(abci.OFFER_SNAPSHOT_RESULT_REJECT)
	}
	if a.restore != nil {
		a.restore.imp.Close()
	}
	imp, err := a.tree.Import(int64(s.Height))
	if err != nil {
		a.log.Error("import snapshot", "height", s.Height, "err", err)
		return answer(abci.OFFER_SNAPSHOT_RESULT_ABORT)
	}
	a.restore = &restoring{height: int64(s.Height), appHash: bytes.Clone(req.AppHash), meta: m, imp: imp}
	return answer(abci.OFFER_SNAPSHOT_RESULT_ACCEPT)
}

// ApplySnapshotChunk restores one chunk, in order; after the last it opens the restored
// version and checks its hash against the app hash CometBFT's light client verified.
func (a *App) ApplySnapshotChunk(_ context.Context, req *abci.ApplySnapshotChunkRequest) (*abci.ApplySnapshotChunkResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	answer := func(r abci.ApplySnapshotChunkResult) (*abci.ApplySnapshotChunkResponse, error) {
		return &abci.ApplySnapshotChunkResponse{Result: r}, nil
	}
	r := a.restore
	switch {
	case r == nil:
		return answer(abci.APPLY_SNAPSHOT_CHUNK_RESULT_ABORT)
	case req.Index != r.next:
		return &abci.ApplySnapshotChunkResponse{Result: abci.APPLY_SNAPSHOT_CHUNK_RESULT_RETRY, RefetchChunks: []uint32{r.next}}, nil
	}
	if sum := sha256.Sum256(req.Chunk); !bytes.Equal(sum[:], r.meta.Chunks[req.Index]) {
		return &abci.ApplySnapshotChunkResponse{Result: abci.APPLY_SNAPSHOT_CHUNK_RESULT_RETRY,
			RefetchChunks: []uint32{req.Index}, RejectSenders: []string{req.Sender}}, nil
	}
	if err := a.applyChunk(r, req.Chunk); err != nil {
		a.log.Error("apply snapshot chunk", "index", req.Index, "err", err)
		a.restore = nil
		r.imp.Close()
		return answer(abci.APPLY_SNAPSHOT_CHUNK_RESULT_REJECT_SNAPSHOT)
	}
	if r.next++; int(r.next) < len(r.meta.Chunks) {
		return answer(abci.APPLY_SNAPSHOT_CHUNK_RESULT_ACCEPT)
	}
	a.restore = nil
	if err := a.finishRestore(r); err != nil {
		a.log.Error("restore snapshot", "height", r.height, "err", err)
		return answer(abci.APPLY_SNAPSHOT_CHUNK_RESULT_REJECT_SNAPSHOT)
	}
	return answer(abci.APPLY_SNAPSHOT_CHUNK_RESULT_ACCEPT)
}

// applyChunk feeds a chunk's nodes to the importer and stores its payloads, each checked
// against the hash its node holds.
func (a *App) applyChunk(r *restoring, chunk []byte) error {
	batch := a.payloads.NewBatch()
	defer batch.Close()
	field := func() ([]byte, error) {
		n, k := binary.Uvarint(chunk)
		if k <= 0 || uint64(len(chunk)-k) < n {
			return nil, errors.New("truncated field")
		}
		f := chunk[k : k+int(n)]
		chunk = chunk[k+int(n):]
		return f, nil
	}
	for len(chunk) > 0 {
		kind := chunk[0]
		chunk = chunk[1:]
		switch kind {
		case recordNode:
			key, err := field()
			if err != nil {
				return err
			}
			value, err := field()
			if err != nil {
				return err
			}
			version, k := binary.Varint(chunk)
			if k <= 0 || len(chunk) < k+1 {
				return errors.New("truncated node")
			}
			height := int8(chunk[k])
			chunk = chunk[k+1:]
			node := &iavl.ExportNode{Key: bytes.Clone(key), Version: version, Height: height}
			if height == 0 {
				node.Value = append([]byte{}, value...) // a leaf has a value, if empty
			}
			if err := r.imp.Add(node); err != nil {
				return err
			}
		case recordPayload:
			h, err := field()
			if err != nil {
				return err
			}
			p, err := field()
			if err != nil {
				return err
			}
			if sum := sha256.Sum256(p); !bytes.Equal(sum[:], h) {
				return fmt.Errorf("payload does not hash to %x", h)
			}
			if err := batch.Set(h, p); err != nil {
				return err
			}
		default:
			return fmt.Errorf("record kind %d", kind)
		}
	}
	return batch.WriteSync()
}

// finishRestore commits the import and, when its hash is the verified app hash, opens it
// as the committed state. Otherwise it wipes the import, so the ledger stays empty and a
// good snapshot can be restored into it next.
func (a *App) finishRestore(r *restoring) error {
	err := r.imp.Commit()
	if err == nil {
		var imported *iavl.ImmutableTree
		if imported, err = a.newTree().GetImmutable(r.height); err == nil {
			if got := imported.Hash(); !bytes.Equal(got, r.appHash) {
				err = fmt.Errorf("restored state has hash %X, the verified app hash is %X", got, r.appHash)
			}
		}
	}
	a.cmu.Lock()
	defer a.cmu.Unlock()
	if err != nil {
		return errors.Join(err, a.wipeTree())
	}
	return a.load()
}

// wipeTree deletes every key of the tree's database (it holds the tree alone) and opens an
// empty tree on it.
func (a *App) wipeTree() error {
	it, err := a.db.Iterator(nil, nil)
	if err != nil {
		return err
	}
	batch := a.db.NewBatch()
	defer batch.Close()
	for ; it.Valid(); it.Next() {
		if err := batch.Delete(bytes.Clone(it.Key())); err != nil {
			it.Close()
			return err
		}
	}
	if err := it.Close(); err != nil {
		return err
	}
	if err := batch.WriteSync(); err != nil {
		return err
	}
	a.tree = a.newTree()
	return nil
}
