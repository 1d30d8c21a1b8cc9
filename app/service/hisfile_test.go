package service_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"ebill/app/bill"
	"ebill/app/service"
)

// TestReadBill reads the example bill as the HIS exports of Windows write it: each readable
// encoding gives the same bill and says which it was; bytes that are neither UTF-8 nor GBK
// are refused with the offset of the first bad byte, never read as garbage.
func TestReadBill(t *testing.T) {
	plain, err := os.ReadFile("../bill/testdata/outpatient.json")
	if err != nil {
		t.Fatal(err)
	}
	gbk, err := os.ReadFile("testdata/outpatient-gbk.json")
	if err != nil {
		t.Fatal(err)
	}
	want, err := bill.Unmarshal(plain)
	if err != nil {
		t.Fatal(err)
	}
	// A character outside GBK makes GB18030 use its four-byte form.
	rare := strings.Replace(string(plain), "刘芳", "刘𠀀芳", 1)
	wantRare := *want
	wantRare.Payer.Name = "刘𠀀芳"
	rareGB, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(rare))
	if err != nil {
		t.Fatal(err)
	}
	name := bytes.Index(plain, []byte("刘芳"))
	latin1 := bytes.Replace(plain, []byte("刘芳"), []byte("Zo\xEB"), 1)    // ë in Latin-1, then a quote
	private := bytes.Replace(plain, []byte("刘芳"), []byte("\xAA\xA1"), 1) // GBK's user-defined area
	bomGBK := append([]byte("\xEF\xBB\xBF"), gbk...)                     // a BOM before GBK
	cut := gbk[:name+3]                                                  // ends inside 芳
	utf16 := []byte("\xFF\xFE{\x00\n\x00")                               // Notepad's "Unicode"

	tests := []struct {
		name    string
		in      []byte
		want    *bill.Bill
		enc     service.Encoding
		refused string // what the ErrEncoding says, when refused
	}{
		{name: "utf-8", in: plain, want: want, enc: service.UTF8},
		{name: "utf-8 with bom", in: append([]byte("\xEF\xBB\xBF"), plain...), want: want, enc: service.UTF8BOM},
		{name: "gbk", in: gbk, want: want, enc: service.GBK},
		{name: "gb18030 four bytes", in: rareGB, want: &wantRare, enc: service.GBK},
		{name: "latin-1", in: latin1,
			refused: fmt.Sprintf("byte 0xEB at offset %d is not UTF-8, and byte 0xEB at offset %d starts no GBK", name+2, name+2)},
		{name: "private use", in: private,
			refused: fmt.Sprintf("byte 0xAA at offset %d is not UTF-8, and byte 0xAA at offset %d starts no GBK", name, name)},
		{name: "bom before gbk", in: bomGBK,
			refused: fmt.Sprintf("byte order mark, but byte 0x%02X at offset %d is not UTF-8", gbk[name], name+3)},
		{name: "cut gbk", in: cut,
			refused: fmt.Sprintf("byte 0x%02X at offset %d is not UTF-8, and byte 0x%02X at offset %d starts no GBK", gbk[name], name, gbk[name+2], name+2)},
		{name: "utf-16", in: utf16, refused: "byte 0xFF at offset 0 is not UTF-8, and byte 0xFF at offset 0 starts no GBK"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, enc, err := service.ReadBill(bytes.NewReader(tt.in))
			if tt.refused != "" {
				if !errors.Is(err, service.ErrEncoding) || !strings.Contains(err.Error(), tt.refused) {
					t.Fatalf("ReadBill = %v, want ErrEncoding saying %q", err, tt.refused)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if enc != tt.enc {
				t.Errorf("encoding %v, want %v", enc, tt.enc)
			}
			got, _ := b.Marshal()
			exp, _ := tt.want.Marshal()
			if !bytes.Equal(got, exp) {
				t.Errorf("read\n%s\nwant\n%s", got, exp)
			}
		})
	}
}
