package bill_test

import (
	"testing"

	"ebill/app/bill"
)

func TestDerive(t *testing.T) {
	item := func(q bill.Quantity, p bill.Money) bill.Item {
		return bill.Item{Name: "x", Category: "其他", Quantity: q, Price: p, Amount: 999999}
	}
	tests := []struct {
		name    string
		items   []bill.Item
		red     bool
		in      bill.Payment // the payers' shares and the deposit
		amounts []bill.Money
		total   bill.Money
		want    bill.Payment
	}{
		{"no items", nil, false, bill.Payment{}, nil, 0, bill.Payment{}},
		{"all cash", []bill.Item{item(2000, 1235), item(500, 333)}, false, bill.Payment{},
			[]bill.Money{2470, 167}, 2637, bill.Payment{Cash: 2637}},
		{"rounds half up", []bill.Item{item(22500, 13)}, false, bill.Payment{}, []bill.Money{293}, 293, bill.Payment{Cash: 293}},
		{"fund, other and account leave the cash", []bill.Item{item(1000, 10000)}, false,
			bill.Payment{Fund: 5000, Other: 1000, Account: 2000, SelfPay: 3000},
			[]bill.Money{10000}, 10000, bill.Payment{Fund: 5000, Other: 1000, Account: 2000, Cash: 2000, SelfPay: 3000}},
		{"deposit refunded", []bill.Item{item(1000, 10000)}, false, bill.Payment{Prepaid: 50000, Refund: 7},
			[]bill.Money{10000}, 10000, bill.Payment{Cash: 10000, Prepaid: 50000, Refund: 40000}},
		{"supplement refunded in part", []bill.Item{item(1000, 10000)}, false, bill.Payment{Prepaid: 5000, Supplement: 6000},
			[]bill.Money{10000}, 10000, bill.Payment{Cash: 10000, Prepaid: 5000, Supplement: 6000, Refund: 1000}},
		{"deposit short", []bill.Item{item(1000, 10000)}, false, bill.Payment{Fund: 1000, Prepaid: 5000, Supplement: 1000, Refund: 3},
			[]bill.Money{10000}, 10000, bill.Payment{Fund: 1000, Cash: 9000, Prepaid: 5000, Supplement: 4000}},
		{"deposit exact", []bill.Item{item(1000, 10000)}, false, bill.Payment{Prepaid: 10000, Refund: 1},
			[]bill.Money{10000}, 10000, bill.Payment{Cash: 10000, Prepaid: 10000}},
		{"paid at discharge without a deposit", []bill.Item{item(1000, 10000)}, false, bill.Payment{Supplement: 1},
			[]bill.Money{10000}, 10000, bill.Payment{Cash: 10000, Supplement: 10000}},
		{"red deposit refunded", []bill.Item{item(-1000, 10000)}, true, bill.Payment{Prepaid: -50000},
			[]bill.Money{-10000}, -10000, bill.Payment{Cash: -10000, Prepaid: -50000, Refund: -40000}},
		{"red deposit short", []bill.Item{item(-1000, 10000)}, true, bill.Payment{Prepaid: -5000, Refund: -1},
			[]bill.Money{-10000}, -10000, bill.Payment{Cash: -10000, Prepaid: -5000, Supplement: -5000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &bill.Bill{Items: tt.items, Payment: tt.in, Total: 1}
			if tt.red {
				b.Red = &bill.RedLink{}
			}
			b.Derive()
			for i, want := range tt.amounts {
				if got := b.Items[i].Amount; got != want {
					t.Errorf("items[%d].amount = %s, want %s", i, got, want)
				}
			}
			if b.Total != tt.total || b.Payment != tt.want {
				t.Errorf("total %s, payment %+v\nwant %s, %+v", b.Total, b.Payment, tt.total, tt.want)
			}
		})
	}
}

// TestDeriveValidates: what Derive computes is what Validate requires, for every example.
func TestDeriveValidates(t *testing.T) {
	for _, path := range examples {
		b, _ := readExample(t, path)
		want, _ := b.Marshal()
		b.Total, b.Payment.Cash, b.Payment.Refund = 0, 0, 0
		for i := range b.Items {
			b.Items[i].Amount = 0
		}
		b.Derive()
		if got, _ := b.Marshal(); string(got) != string(want) {
			t.Errorf("%s: derived\n%s\nwant\n%s", path, got, want)
		}
	}
}
