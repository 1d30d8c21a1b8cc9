// Package store opens the on-disk key-value databases of ebill: a validator's ledger state
// and CometBFT's block store, state, tx index and evidence, and a desk's verified headers.
//
// Every one of them is a Pebble database tuned for what a validator writes: blocks and
// bills of a few KB whose payloads are encrypted. A larger memtable than Pebble's 4 MB
// default means fewer flushes and fewer level-0 files to compact while hundreds of bills a
// second arrive, and no block compression, since Snappy cannot shrink ciphertext and only
// spends CPU trying. Databases written with other options open as they are.
//
//	db, err := store.Open("ledger", dir) // dir/ledger.db
package store

import (
	"fmt"

	"github.com/cockroachdb/pebble"
	dbm "github.com/cometbft/cometbft-db"
)

// memTableSize is the size a database's memtable grows to. Pebble starts small and doubles
// it as writes come, so a quiet database (the evidence store) never reaches it.
const memTableSize = 64 << 20

// Open opens the Pebble database dir/name.db, creating it if needed.
func Open(name, dir string) (dbm.DB, error) {
	db, err := dbm.NewPebbleDBWithOpts(name, dir, options())
	if err != nil {
		return nil, fmt.Errorf("open %s database in %q: %w", name, dir, err)
	}
	return db, nil
}

// options are the Pebble options Open uses; each call returns a fresh copy.
func options() *pebble.Options {
	// Deeper levels copy the last level given, doubling its file size.
	return &pebble.Options{MemTableSize: memTableSize, Levels: []pebble.LevelOptions{{Compression: pebble.NoCompression}},
		Logger: quiet{}}
}

// quiet drops Pebble's informational lines: reopening a database printed "WAL file …
// stopped reading at offset …; replayed …" on stderr at each start of a node or desk.
// Fatal errors still end the process as Pebble's own logger does.
type quiet struct{}

func (quiet) Infof(string, ...any) {}

func (quiet) Fatalf(format string, args ...any) { pebble.DefaultLogger.Fatalf(format, args...) }
