package ledger

import (
	cmtdb "github.com/cometbft/cometbft-db"
	iavldb "github.com/cosmos/iavl/db"
)

// The tree lives in a CometBFT database (pebble on disk, pure Go, no build tags; a memdb
// in memory). cosmos-db would need the pebbledb build tag for the same engine, so this
// adapter gives IAVL the one method it lacks: a batch that reports its size.

type treeDB struct{ cmtdb.DB }

func (d treeDB) Iterator(start, end []byte) (iavldb.Iterator, error) {
	return d.DB.Iterator(start, end)
}

func (d treeDB) ReverseIterator(start, end []byte) (iavldb.Iterator, error) {
	return d.DB.ReverseIterator(start, end)
}

func (d treeDB) NewBatch() iavldb.Batch { return &sizedBatch{Batch: d.DB.NewBatch()} }

func (d treeDB) NewBatchWithSize(int) iavldb.Batch { return d.NewBatch() }

type sizedBatch struct {
	cmtdb.Batch
	size int
}

func (b *sizedBatch) Set(key, value []byte) error {
	b.size += len(key) + len(value)
	return b.Batch.Set(key, value)
}

func (b *sizedBatch) Delete(key []byte) error {
	b.size += len(key)
	return b.Batch.Delete(key)
}

func (b *sizedBatch) GetByteSize() (int, error) { return b.size, nil }
