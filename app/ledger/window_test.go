package ledger

import (
	"testing"

	"ebill/app/wire"
)

func TestSequenceWindow(t *testing.T) {
	tests := []struct {
		name string
		used []uint64 // accepted in this order
		try  uint64
		want bool
	}{
		{"zero is never fresh", nil, 0, false},
		{"first", nil, 1, true},
		{"next", []uint64{1}, 2, true},
		{"repeat", []uint64{1}, 1, false},
		{"gap below the top", []uint64{1, 5}, 3, true},
		{"used below the top", []uint64{1, 5, 3}, 3, false},
		{"127 below the top", []uint64{200}, 73, true},
		{"128 below the top", []uint64{200}, 72, false},
		{"jump of 64 keeps the old bit", []uint64{10, 74}, 10, false},
		{"jump of 63 keeps the old bit", []uint64{10, 73}, 10, false},
		{"jump of 100 keeps the old bit", []uint64{10, 110}, 10, false},
		{"jump of 100 leaves others fresh", []uint64{10, 110}, 11, true},
		{"jump past the window forgets", []uint64{10, 300}, 200, true},
		{"far future", []uint64{10}, 1 << 40, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var a wire.Account
			for _, s := range tc.used {
				if !seqFresh(&a, s) {
					t.Fatalf("setup: %d not fresh", s)
				}
				useSeq(&a, s)
			}
			if got := seqFresh(&a, tc.try); got != tc.want {
				t.Errorf("seqFresh(%d) after %v = %v, want %v", tc.try, tc.used, got, tc.want)
			}
		})
	}
}
