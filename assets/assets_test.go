package assets_test

import (
	"errors"
	"testing"

	"ebill/assets"
)

func TestCheckTrueType(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		ok   bool
	}{
		{"bundled", assets.Font(), true},
		{"truetype", []byte{0, 1, 0, 0, 0, 9}, true},
		{"apple", []byte("true...."), true},
		{"cff", []byte("OTTO...."), false},
		{"collection", []byte("ttcf...."), false},
		{"woff", []byte("wOFF...."), false},
		{"short", []byte{0, 1}, false},
		{"empty", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := assets.CheckTrueType(tt.data)
			if tt.ok && err != nil {
				t.Fatalf("CheckTrueType: %v", err)
			}
			if !tt.ok && !errors.Is(err, assets.ErrNotTrueType) {
				t.Fatalf("CheckTrueType = %v, want ErrNotTrueType", err)
			}
		})
	}
}

func TestFontSize(t *testing.T) {
	// Face 0 of the Debian collection; a few KB would mean a pointer file or a bad extract.
	if n := len(assets.Font()); n < 4<<20 {
		t.Fatalf("bundled font is %d bytes, want the whole face (~4.6 MB)", n)
	}
}
