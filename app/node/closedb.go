package node

import (
	"errors"
	"sync"

	dbm "github.com/cometbft/cometbft-db"
)

// errClosed is what a guarded database answers after Close.
var errClosed = errors.New("database closed")

// GuardClose wraps db so that calls after Close fail with an error instead of reaching a
// closed pebble database, which panics. CometBFT's tx indexer goroutine is not waited for
// by (*node.Node).Wait: it may still write a block's batch when the node's owner closes the
// tx_index database after Stop (PITFALLS.md), and a panic there takes the process down.
func GuardClose(db dbm.DB) dbm.DB { return &guardedDB{DB: db} }

type guardedDB struct {
	dbm.DB
	mu     sync.RWMutex
	closed bool
}

// use runs f unless the database is closed, holding Close off while f runs.
func (g *guardedDB) use(f func() error) error {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.closed {
		return errClosed
	}
	return f()
}

func (g *guardedDB) Get(key []byte) (v []byte, err error) {
	err = g.use(func() (err error) { v, err = g.DB.Get(key); return err })
	return v, err
}

func (g *guardedDB) Has(key []byte) (ok bool, err error) {
	err = g.use(func() (err error) { ok, err = g.DB.Has(key); return err })
	return ok, err
}

func (g *guardedDB) Set(k, v []byte) error { return g.use(func() error { return g.DB.Set(k, v) }) }
func (g *guardedDB) SetSync(k, v []byte) error {
	return g.use(func() error { return g.DB.SetSync(k, v) })
}
func (g *guardedDB) Delete(k []byte) error { return g.use(func() error { return g.DB.Delete(k) }) }
func (g *guardedDB) DeleteSync(k []byte) error {
	return g.use(func() error { return g.DB.DeleteSync(k) })
}

func (g *guardedDB) Iterator(start, end []byte) (it dbm.Iterator, err error) {
	err = g.use(func() (err error) { it, err = g.DB.Iterator(start, end); return err })
	return it, err
}

func (g *guardedDB) ReverseIterator(start, end []byte) (it dbm.Iterator, err error) {
	err = g.use(func() (err error) { it, err = g.DB.ReverseIterator(start, end); return err })
	return it, err
}

func (g *guardedDB) NewBatch() dbm.Batch { return &guardedBatch{Batch: g.DB.NewBatch(), db: g} }

// Close closes the database once no call is under way; later calls fail with errClosed.
func (g *guardedDB) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil
	}
	g.closed = true
	return g.DB.Close()
}

type guardedBatch struct {
	dbm.Batch
	db *guardedDB
}

func (b *guardedBatch) Write() error     { return b.db.use(b.Batch.Write) }
func (b *guardedBatch) WriteSync() error { return b.db.use(b.Batch.WriteSync) }
