package store_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ebill/app/store"
)

// TestOpen writes, closes and reopens a database, and reads the options Pebble recorded
// for it: the memtable size and no compression at every level.
func TestOpen(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open("ledger", dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetSync([]byte("k"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if db, err = store.Open("ledger", dir); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, err := db.Get([]byte("k")); err != nil || string(v) != "v" {
		t.Fatalf("after reopening: %q, %v; want \"v\"", v, err)
	}

	opts, err := filepath.Glob(filepath.Join(dir, "ledger.db", "OPTIONS-*"))
	if err != nil || len(opts) == 0 {
		t.Fatalf("no OPTIONS file in %s (%v)", filepath.Join(dir, "ledger.db"), err)
	}
	b, err := os.ReadFile(opts[len(opts)-1])
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	if !strings.Contains(text, "mem_table_size=67108864") {
		t.Errorf("OPTIONS lacks mem_table_size=67108864:\n%s", text)
	}
	if n := strings.Count(text, "compression="); n == 0 || n != strings.Count(text, "compression=NoCompression") {
		t.Errorf("a level compresses:\n%s", text)
	}
}

func TestOpenRefusesFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ledger.db"), []byte("not a database"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := store.Open("ledger", dir)
	if err == nil || !strings.Contains(err.Error(), "ledger database") || !strings.Contains(err.Error(), dir) {
		t.Fatalf("err %v; want one naming the ledger database and %s", err, dir)
	}
}
