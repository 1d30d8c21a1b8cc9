package bill_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"ebill/app/bill"
	"ebill/internal/golden"
)

// digestVectors are the fixed inputs of testdata/vectors/digests.json. The ledger and every desk
// must agree on these encodings forever: a changed vector means stored bills no longer
// verify, so never update the golden file to make this test pass.
func digestVectors() map[string]string {
	salt, _ := hex.DecodeString("000102030405060708090a0b0c0d0e0f")
	plain := []byte(`{"kind":"outpatient","total":"234.76"}`)
	commitment := bill.Commitment(salt, plain)
	at := time.Date(2026, 11, 23, 10, 15, 32, 123456789, time.FixedZone("", 8*60*60))
	hexOf := func(b [32]byte) string { return hex.EncodeToString(b[:]) }
	return map[string]string{
		"ID(12320100466001234B, MZ20261123000137)": bill.ID("12320100466001234B", "MZ20261123000137"),
		"ID(, )":                 bill.ID("", ""),
		"ID(ab, c)":              bill.ID("ab", "c"),
		"ID(a, bc)":              bill.ID("a", "bc"),
		"Commitment(salt, bill)": hexOf(commitment),
		"Commitment(, )":         hexOf(bill.Commitment(nil, nil)),
		"IdentityDigest(outpatient, 12320100466001234B, MZ20261123000137, 2026-11-23T10:15:32.123456789+08:00, commitment)": hexOf(
			bill.IdentityDigest(bill.Outpatient, "12320100466001234B", "MZ20261123000137", at, commitment)),
		"IdentityDigest(inpatient, same)": hexOf(bill.IdentityDigest(bill.Inpatient, "12320100466001234B", "MZ20261123000137", at, commitment)),
		"IdentityDigest(outpatient, same in UTC)": hexOf(
			bill.IdentityDigest(bill.Outpatient, "12320100466001234B", "MZ20261123000137", at.UTC(), commitment)),
		"CheckCode(ebill-jiangsu-1, 32060126, 0000000001, commitment)": bill.CheckCode("ebill-jiangsu-1", "32060126", "0000000001", commitment),
		"CheckCode(ebill-jiangsu-1, 32060126, 0000000002, commitment)": bill.CheckCode("ebill-jiangsu-1", "32060126", "0000000002", commitment),
	}
}

func TestDigestVectors(t *testing.T) {
	got := digestVectors()
	out, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden.Equal(t, "testdata/vectors/digests.json", append(out, '\n'))
	if got["ID(ab, c)"] == got["ID(a, bc)"] {
		t.Error("ID does not separate its fields")
	}
	if got["IdentityDigest(inpatient, same)"] == got["IdentityDigest(outpatient, 12320100466001234B, MZ20261123000137, 2026-11-23T10:15:32.123456789+08:00, commitment)"] {
		t.Error("IdentityDigest ignores the kind")
	}
}

// TestIdentityDigestEncoding rebuilds the signed digest from its documented encoding —
// each of tag, kind, org, serial, big-endian Unix nanoseconds and commitment prefixed with
// its 4-byte big-endian length — so the golden vectors are not just what the code says.
func TestIdentityDigestEncoding(t *testing.T) {
	commitment := sha256.Sum256([]byte("payload"))
	at := time.Date(2026, 11, 23, 2, 15, 32, 0, time.UTC)
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], uint64(at.UnixNano()))
	var enc bytes.Buffer
	for _, f := range [][]byte{[]byte("ebill/identity/v1"), []byte("inpatient"), []byte("org1"), []byte("S-1"), ts[:], commitment[:]} {
		binary.Write(&enc, binary.BigEndian, uint32(len(f)))
		enc.Write(f)
	}
	if want, got := sha256.Sum256(enc.Bytes()), bill.IdentityDigest(bill.Inpatient, "org1", "S-1", at, commitment); got != want {
		t.Errorf("IdentityDigest = %x, want %x", got, want)
	}
	salt, plain := []byte("salt"), []byte("plain")
	if got, want := bill.Commitment(salt, plain), sha256.Sum256([]byte("saltplain")); got != want {
		t.Errorf("Commitment = %x, want %x", got, want)
	}
}
