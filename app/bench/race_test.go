//go:build race

package bench

// raceEnabled: the race detector slows the ledger tenfold, so the scale test fills less.
const raceEnabled = true
