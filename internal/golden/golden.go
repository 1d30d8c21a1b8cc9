// Package golden compares what a test makes with a file kept in testdata/, the one way
// every package of this module keeps its golden files.
//
//	golden.Equal(t, "testdata/outpatient.pdf", pdf)
//
// A mismatch fails the test and writes what the test made to testdata/failed/ (ignored by
// git) for a look. `go test -update` rewrites the file instead — except a protocol vector:
// a file under a testdata/vectors/ directory (transaction bytes, digests, app hashes,
// record and envelope encodings: what other nodes and old files must still read). A
// vector changes only with a new protocol version, so -update refuses it and the test
// fails saying so; -update-frozen-protocol-v2 rewrites vectors too, and is meant for the
// one deliberate commit that says "protocol v2: <what>".
//
// Inputs a test reads (bills to render, an old envelope to open) are read with Read and
// never written by any flag: a test that rewrote its inputs could never fail.
//
// Test code only: no package a command links may import this one.
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var (
	update = flag.Bool("update", false, "rewrite the golden files in testdata/ (not the protocol vectors in testdata/vectors/)")
	frozen = flag.Bool("update-frozen-protocol-v2", false,
		"rewrite the golden files and the protocol vectors in testdata/vectors/ too: only for a protocol change, its commit saying \"protocol v2: <what>\"")
)

// IsVector reports whether path is a protocol vector: a file under a directory named
// vectors inside testdata.
func IsVector(path string) bool {
	parts := strings.Split(filepath.ToSlash(filepath.Clean(path)), "/")
	i := slices.Index(parts, "testdata")
	return i >= 0 && slices.Contains(parts[i+1:len(parts)-1], "vectors")
}

// Equal fails t unless got is the content of the golden file at path. Under -update it
// rewrites the file (a vector only under -update-frozen-protocol-v2) and passes.
func Equal(t testing.TB, path string, got []byte) {
	t.Helper()
	if rewrite(path) {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want := Read(t, path)
	if bytes.Equal(got, want) {
		return
	}
	failed := filepath.Join(filepath.Dir(path), "failed", filepath.Base(path))
	if err := os.MkdirAll(filepath.Dir(failed), 0o755); err == nil {
		os.WriteFile(failed, got, 0o644) // best effort: the failure below says it all
	}
	if IsVector(path) {
		t.Errorf("%s changed: it is a protocol vector; change the protocol version instead, or rewrite it "+
			"with -update-frozen-protocol-v2 in a \"protocol v2: <what>\" commit (what the test made is in %s)%s",
			path, failed, diff(got, want))
		return
	}
	t.Errorf("%s differs from what the test made (in %s; accept with -update)%s", path, failed, diff(got, want))
}

// EqualString is Equal for text.
func EqualString(t testing.TB, path, got string) {
	t.Helper()
	Equal(t, path, []byte(got))
}

// Read returns the content of a golden file, vector or input, failing t when it cannot.
func Read(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden: %v (a new golden file is made with -update)", err)
	}
	return data
}

// rewrite says whether Equal is to write path rather than compare it. Under a plain
// -update a vector is compared still: unchanged, it passes; changed, it fails.
func rewrite(path string) bool { return *frozen || *update && !IsVector(path) }

// diff shows text that differs, as far as it is short enough to read in a test log.
func diff(got, want []byte) string {
	const show = 2000
	if len(got) > show || len(want) > show || !isText(got) || !isText(want) {
		return ""
	}
	return "\ngot:\n" + string(got) + "\nwant:\n" + string(want)
}

func isText(b []byte) bool {
	return !bytes.ContainsRune(b, 0) && strings.ToValidUTF8(string(b), "\uFFFD") == string(b)
}
