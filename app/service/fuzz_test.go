package service_test

import (
	"bytes"
	"testing"

	"ebill/app/service"
)

// FuzzParseBundle feeds ParseBundle arbitrary bytes: it must refuse or accept without
// panicking, and what it accepts must survive Marshal and ParseBundle unchanged, and
// VerifyBundle must refuse it without panicking.
func FuzzParseBundle(f *testing.F) {
	valid := []byte(`{"version":1,"chain_id":"c","bill_id":"b","bill":"e30=","salt":"AA==","record":"AA==",` +
		`"height":1,"proof":"AA==","signed_header":"AA==","validators":"AA=="}`)
	for _, s := range [][]byte{valid, []byte(`{}`), []byte(`{"version":1}`), nil, []byte(`[]`), append(valid, '{', '}')} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := service.ParseBundle(data)
		if err != nil {
			return
		}
		out, err := b.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		again, err := service.ParseBundle(out)
		if err != nil {
			t.Fatalf("reparse: %v", err)
		}
		if out2, _ := again.Marshal(); !bytes.Equal(out, out2) {
			t.Fatalf("not stable:\n%s\n%s", out, out2)
		}
		if _, err := service.VerifyBundle(b, service.Trust{ChainID: b.ChainID}); err == nil {
			t.Fatal("a fuzzed bundle verified")
		}
	})
}
