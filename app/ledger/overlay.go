package ledger

import (
	"slices"
)

// getter reads a version of the store: the IAVL working tree, a committed ImmutableTree,
// or another overlay.
type getter interface {
	Get(key []byte) ([]byte, error)
}

// overlay buffers writes over a getter. Each transaction runs in its own overlay and is
// merged into the block's only when it succeeds, so a refused transaction leaves no trace;
// the block's overlay reaches the tree once, in sorted key order, so a key touched by many
// transactions of a block costs one tree write and every node builds the same tree shape.
type overlay struct {
	base   getter
	writes map[string][]byte // a nil value deletes the key
}

func newOverlay(base getter) *overlay {
	return &overlay{base: base, writes: make(map[string][]byte)}
}

func (o *overlay) Get(key []byte) ([]byte, error) {
	if v, ok := o.writes[string(key)]; ok {
		return v, nil
	}
	return o.base.Get(key)
}

func (o *overlay) set(key, value []byte) { o.writes[string(key)] = value }

func (o *overlay) del(key []byte) { o.writes[string(key)] = nil }

// mergeInto moves o's writes into p, which must be o's base.
func (o *overlay) mergeInto(p *overlay) {
	for k, v := range o.writes {
		p.writes[k] = v
	}
	clear(o.writes)
}

// sortedKeys lists the written keys in byte order; map order must never reach the tree.
func (o *overlay) sortedKeys() []string {
	keys := make([]string, 0, len(o.writes))
	for k := range o.writes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
