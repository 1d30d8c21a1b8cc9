package ledger_test

import (
	"encoding/hex"
	"reflect"
	"strings"
	"testing"

	"ebill/app/wire"
	"ebill/internal/golden"
)

// TestWireFormat pins the bytes of a signed transaction and the app hash after a fixed
// history: any change to an encoding, a key or a rule's writes shows up here.
func TestWireFormat(t *testing.T) {
	n := newNetwork()
	h, org := n.cashiers[0], n.hospitals[0]
	sub := h.submission(org, "MZ-golden", 12_345, 96)
	tx := h.tx(t, sub)
	golden.EqualString(t, "testdata/vectors/submit_tx.hex", wrapHex(tx))

	dec, err := wire.DecodeTx(tx)
	if err != nil {
		t.Fatal(err)
	}
	want := *sub
	want.Created = want.Created.UTC() // times come back in UTC
	if dec.ChainID != chainID || !dec.Signer.Equal(h.PublicKey()) || dec.Seq != 1 || !reflect.DeepEqual(dec.Msg, &want) {
		t.Errorf("decoded %+v, want the submission back", dec.Msg)
	}

	c := newChain(t, "", n.genesis)
	c.ok(tx)
	c.ok(n.clerk.tx(t, n.clerk.approval(sub, 1)))
	c.ok(h.tx(t, &wire.Issue{ID: sub.ID()}))
	golden.EqualString(t, "testdata/vectors/app_hash.hex", hex.EncodeToString(c.hashes[c.height])+"\n")
}

func wrapHex(b []byte) string {
	s := hex.EncodeToString(b)
	var out strings.Builder
	for len(s) > 64 {
		out.WriteString(s[:64] + "\n")
		s = s[64:]
	}
	out.WriteString(s + "\n")
	return out.String()
}
