package node_test

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"ebill/app/node"
)

// FuzzReadNetworkFile feeds the network file reader what a desk might be handed: it must
// never panic, refuse only with ErrInvalidNetworkFile, and what it accepts must be valid
// and survive a write and a read unchanged.
func FuzzReadNetworkFile(f *testing.F) {
	good := `{"chain_id":"ebill-demo","trust_height":5,"trust_hash":"` + strings.Repeat("ab", 32) +
		`","primary":"http://127.0.0.1:26657","witnesses":["http://127.0.0.1:26659","https://node.example:443"]}`
	for _, seed := range []string{
		good,
		strings.Replace(good, `"trust_height":5`, `"trust_height":0`, 1),
		strings.Replace(good, `"primary"`, `"primery"`, 1),
		good + "{}",
		`{"chain_id":"x","witnesses":[]}`,
		`{"trust_height":"5"}`,
		"",
		"{",
		"\ufeff" + good,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		nf, err := node.ReadNetworkFile(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, node.ErrInvalidNetworkFile) {
				t.Fatalf("refusal without ErrInvalidNetworkFile: %v", err)
			}
			return
		}
		if err := nf.Validate(); err != nil {
			t.Fatalf("accepted a file that does not validate: %v", err)
		}
		var out bytes.Buffer
		if err := nf.Write(&out); err != nil {
			t.Fatal(err)
		}
		again, err := node.ReadNetworkFile(&out)
		if err != nil {
			t.Fatalf("own output refused: %v\n%s", err, out.String())
		}
		if !reflect.DeepEqual(nf, again) {
			t.Fatalf("round trip changed the file: %+v → %+v", nf, again)
		}
	})
}
