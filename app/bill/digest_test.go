package bill_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"ebill/app/bill"
	"ebill/internal/golden"
)

// seed is the fixed commitment seed of the vectors.
var seed = [32]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31}

func example(t *testing.T, name string) *bill.Bill {
	t.Helper()
	f, err := os.Open("testdata/" + name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := bill.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// digestVectors are the fixed inputs of testdata/vectors/digests.json. The ledger and every desk
// must agree on these encodings forever: a changed vector means stored bills no longer
// verify, so never update the golden file to make this test pass.
func digestVectors(t *testing.T) map[string]string {
	commitment := example(t, "outpatient").Commit(seed)
	at := time.Date(2026, 11, 23, 10, 15, 0, 0, time.FixedZone("", 8*60*60))
	hexOf := func(b [32]byte) string { return hex.EncodeToString(b[:]) }
	id := bill.Identity{ChainID: "ebill-jiangsu-1", Kind: bill.Outpatient, Org: "12320100466001234B",
		Serial: "MZ20261123000137", Created: at, Revision: 1, Commitment: commitment}
	with := func(f func(*bill.Identity)) string {
		v := id
		f(&v)
		return hexOf(bill.IdentityDigest(v))
	}
	return map[string]string{
		"ID(12320100466001234B, MZ20261123000137)": bill.ID("12320100466001234B", "MZ20261123000137"),
		"ID(, )":                      bill.ID("", ""),
		"ID(ab, c)":                   bill.ID("ab", "c"),
		"ID(a, bc)":                   bill.ID("a", "bc"),
		"Commit(outpatient.json)":     hexOf(commitment),
		"Commit(inpatient.json)":      hexOf(example(t, "inpatient").Commit(seed)),
		"IdentityDigest(identity)":    hexOf(bill.IdentityDigest(id)),
		"IdentityDigest(inpatient)":   with(func(v *bill.Identity) { v.Kind = bill.Inpatient }),
		"IdentityDigest(in UTC)":      with(func(v *bill.Identity) { v.Created = v.Created.UTC() }),
		"IdentityDigest(revision 2)":  with(func(v *bill.Identity) { v.Revision = 2 }),
		"IdentityDigest(other chain)": with(func(v *bill.Identity) { v.ChainID = "ebill-zhejiang-1" }),
		"CountersignDigest(identity)": hexOf(bill.CountersignDigest(bill.IdentityDigest(id))),
		"CheckCode(ebill-jiangsu-1, 32060126, 0000000001, commitment)": bill.CheckCode("ebill-jiangsu-1", "32060126", "0000000001", commitment),
		"CheckCode(ebill-jiangsu-1, 32060126, 0000000002, commitment)": bill.CheckCode("ebill-jiangsu-1", "32060126", "0000000002", commitment),
		"RedSerial(MZ20261123000137)":                                  bill.RedSerial("MZ20261123000137"),
		"RedSerial(64 x)":                                              bill.RedSerial(strings.Repeat("x", 64)),
	}
}

func TestDigestVectors(t *testing.T) {
	got := digestVectors(t)
	out, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden.Equal(t, "testdata/vectors/digests.json", append(out, '\n'))
	for _, pair := range [][2]string{
		{"ID(ab, c)", "ID(a, bc)"},
		{"IdentityDigest(identity)", "IdentityDigest(inpatient)"},
		{"IdentityDigest(identity)", "IdentityDigest(revision 2)"},
		{"IdentityDigest(identity)", "IdentityDigest(other chain)"},
		{"IdentityDigest(identity)", "CountersignDigest(identity)"},
	} {
		if got[pair[0]] == got[pair[1]] {
			t.Errorf("%s = %s: the digest ignores what separates them", pair[0], pair[1])
		}
	}
}

// TestIdentityDigestEncoding rebuilds the signed digest from its documented encoding —
// each of tag, role, chain, kind, org, serial, big-endian Unix nanoseconds, big-endian
// revision and commitment prefixed with its 4-byte big-endian length — so the golden
// vectors are not just what the code says.
func TestIdentityDigestEncoding(t *testing.T) {
	commitment := sha256.Sum256([]byte("payload"))
	at := time.Date(2026, 11, 23, 2, 15, 0, 0, time.UTC)
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], uint64(at.UnixNano()))
	lp := func(fields ...[]byte) [32]byte {
		var enc bytes.Buffer
		for _, f := range fields {
			binary.Write(&enc, binary.BigEndian, uint32(len(f)))
			enc.Write(f)
		}
		return sha256.Sum256(enc.Bytes())
	}
	want := lp([]byte("ebill/identity/v2"), []byte("cashier"), []byte("chain-1"), []byte("inpatient"), []byte("org1"),
		[]byte("S-1"), ts[:], []byte{0, 0, 0, 3}, commitment[:])
	got := bill.IdentityDigest(bill.Identity{ChainID: "chain-1", Kind: bill.Inpatient, Org: "org1", Serial: "S-1",
		Created: at, Revision: 3, Commitment: commitment})
	if got != want {
		t.Errorf("IdentityDigest = %x, want %x", got, want)
	}
	if c, want := bill.CountersignDigest(got), lp([]byte("ebill/countersign/v2"), []byte("finance"), got[:]); c != want {
		t.Errorf("CountersignDigest = %x, want %x", c, want)
	}
}

func TestRedSerial(t *testing.T) {
	long := strings.Repeat("9", 63)
	for _, s := range []string{"MZ1", strings.Repeat("a", 62), long, long + "1", long + "2"} {
		r := bill.RedSerial(s)
		if len(r) > bill.MaxSerial || !strings.HasSuffix(r, "-R") {
			t.Errorf("RedSerial(%q) = %q: want at most %d bytes ending in -R", s, r, bill.MaxSerial)
		}
	}
	if bill.RedSerial(long+"1") == bill.RedSerial(long+"2") {
		t.Error("two long serials with one prefix share a red serial")
	}
}
