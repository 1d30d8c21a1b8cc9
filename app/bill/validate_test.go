package bill_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"ebill/app/bill"
)

var created = time.Date(2026, 11, 23, 10, 15, 32, 0, time.FixedZone("", 8*60*60))

// settle makes the totals and the payment agree with the items again after a test has
// changed them: everyone pays cash.
func settle(b *bill.Bill) {
	var selfFunded bill.Money
	b.Total = 0
	for _, it := range b.Items {
		b.Total += it.Amount
		selfFunded += it.SelfPaid
	}
	b.Payment = bill.Payment{Cash: b.Total, SelfPay: b.Total - selfFunded, SelfFunded: selfFunded}
}

func TestValidate(t *testing.T) {
	type mutation = func(b *bill.Bill)
	tests := []struct {
		name   string
		kind   bill.Kind
		mutate mutation
		want   string // the path of the problem; "" for a valid bill
	}{
		{"outpatient example", bill.Outpatient, func(b *bill.Bill) {}, ""},
		{"inpatient example", bill.Inpatient, func(b *bill.Bill) {}, ""},
		{"kind missing", bill.Outpatient, func(b *bill.Bill) { b.Kind = "" }, "kind"},
		{"kind unknown", bill.Outpatient, func(b *bill.Bill) { b.Kind = "general" }, "kind"},
		{"code short", bill.Outpatient, func(b *bill.Bill) { b.Code = "3206012" }, "code"},
		{"code not digits", bill.Outpatient, func(b *bill.Bill) { b.Code = "3206012A" }, "code"},
		{"code missing", bill.Outpatient, func(b *bill.Bill) { b.Code = "" }, "code"},
		{"code other region", bill.Outpatient, func(b *bill.Bill) { b.Code = "11060126" }, ""},
		{"org missing", bill.Outpatient, func(b *bill.Bill) { b.OrgCode = "" }, "org"},
		{"org with space", bill.Outpatient, func(b *bill.Bill) { b.OrgCode = "h 1" }, "org"},
		{"org too long", bill.Outpatient, func(b *bill.Bill) { b.OrgCode = strings.Repeat("h", 65) }, "org"},
		{"org longest", bill.Outpatient, func(b *bill.Bill) { b.OrgCode = strings.Repeat("h", 64) }, ""},
		{"serial missing", bill.Outpatient, func(b *bill.Bill) { b.Serial = "" }, "serial"},
		{"serial not ASCII", bill.Outpatient, func(b *bill.Bill) { b.Serial = "流水1" }, "serial"},
		{"serial too long", bill.Outpatient, func(b *bill.Bill) { b.Serial = strings.Repeat("9", 65) }, "serial"},
		{"serial longest", bill.Outpatient, func(b *bill.Bill) { b.Serial = strings.Repeat("9", 64) }, ""},
		{"created missing", bill.Outpatient, func(b *bill.Bill) { b.CreatedAt = time.Time{} }, "created"},
		// No clock is read: the ledger judges the creation time against its block time, so a
		// bill valid today stays valid, and the examples never expire.
		{"created years ahead", bill.Outpatient, func(b *bill.Bill) { b.CreatedAt = b.CreatedAt.AddDate(30, 0, 0) }, ""},
		{"visit years ago", bill.Outpatient, func(b *bill.Bill) { b.Medical.VisitDate.Year -= 30 }, ""},
		{"payer name missing", bill.Outpatient, func(b *bill.Bill) { b.Payer.Name = "" }, "payer.name"},
		{"payer name too long", bill.Outpatient, func(b *bill.Bill) { b.Payer.Name = strings.Repeat("名", 51) }, "payer.name"},
		{"payer name longest", bill.Outpatient, func(b *bill.Bill) { b.Payer.Name = strings.Repeat("名", 50) }, ""},
		{"payer name bad UTF-8", bill.Outpatient, func(b *bill.Bill) { b.Payer.Name = "王\xff" }, "payer.name"},
		{"payer name control", bill.Outpatient, func(b *bill.Bill) { b.Payer.Name = "王\n明" }, "payer.name"},
		{"payer type missing", bill.Outpatient, func(b *bill.Bill) { b.Payer.Type = "" }, "payer.type"},
		{"payer type unknown", bill.Outpatient, func(b *bill.Bill) { b.Payer.Type = "robot" }, "payer.type"},
		{"payer id check digit", bill.Outpatient, func(b *bill.Bill) { b.Payer.ID = "320102199001011234" }, "payer.id"},
		{"payer id lowercase x", bill.Outpatient, func(b *bill.Bill) { b.Payer.ID = "32010419580322041x" }, "payer.id"},
		{"payer id X", bill.Outpatient, func(b *bill.Bill) { b.Payer.ID = "32010419580322041X" }, ""},
		{"payer id short", bill.Outpatient, func(b *bill.Bill) { b.Payer.ID = "32010219900101123" }, "payer.id"},
		{"payer id birth date", bill.Outpatient, func(b *bill.Bill) { b.Payer.ID = "320102199002301230" }, "payer.id"},
		{"payer id absent", bill.Outpatient, func(b *bill.Bill) { b.Payer.ID = "" }, ""},
		{"payer unit code", bill.Outpatient, func(b *bill.Bill) {
			b.Payer = bill.Payer{Name: "某公司", Type: bill.PayerUnit, ID: "91320100MA1XY2QK8L"}
		}, ""},
		{"payer unit bad code", bill.Outpatient, func(b *bill.Bill) {
			b.Payer = bill.Payer{Name: "某公司", Type: bill.PayerUnit, ID: "91320100MA1XY2QK8M"}
		}, "payer.id"},
		{"payee name missing", bill.Outpatient, func(b *bill.Bill) { b.Payee.Name = "" }, "payee.name"},
		{"payee code missing", bill.Outpatient, func(b *bill.Bill) { b.Payee.CreditCode = "" }, "payee.credit_code"},
		{"payee code check", bill.Outpatient, func(b *bill.Bill) { b.Payee.CreditCode = "12320100466001234C" }, "payee.credit_code"},
		{"payee code letter I", bill.Outpatient, func(b *bill.Bill) { b.Payee.CreditCode = "12320100466001234I" }, "payee.credit_code"},
		{"payee other code", bill.Outpatient, func(b *bill.Bill) { b.Payee.CreditCode = "12320105466012345C" }, ""},
		{"no items", bill.Outpatient, func(b *bill.Bill) { b.Items = nil; settle(b) }, "items"},
		{"too many items", bill.Outpatient, func(b *bill.Bill) { *b = *bill.Sample(bill.Outpatient, "h1", "s1", 1000, created) }, "items"},
		{"item name missing", bill.Outpatient, func(b *bill.Bill) { b.Items[0].Name = "" }, "items[0].name"},
		{"item code too long", bill.Outpatient, func(b *bill.Bill) { b.Items[1].Code = strings.Repeat("1", 51) }, "items[1].code"},
		{"item category missing", bill.Outpatient, func(b *bill.Bill) { b.Items[0].Category = "" }, "items[0].category"},
		{"item category unknown", bill.Outpatient, func(b *bill.Bill) { b.Items[0].Category = "药费" }, "items[0].category"},
		{"item quantity zero", bill.Outpatient, func(b *bill.Bill) { b.Items[0].Quantity = 0 }, "items[0].quantity"},
		{"item quantity negative", bill.Outpatient, func(b *bill.Bill) { b.Items[0].Quantity = -1000 }, "items[0].quantity"},
		{"item price negative", bill.Outpatient, func(b *bill.Bill) { b.Items[0].Price = -100 }, "items[0].price"},
		{"item amount wrong", bill.Outpatient, func(b *bill.Bill) { b.Items[0].Amount += 1; settle(b) }, "items[0].amount"},
		{"item amount negative", bill.Outpatient, func(b *bill.Bill) { b.Items[0].Amount = -100 }, "items[0].amount"},
		{"item amount rounds half up", bill.Outpatient, func(b *bill.Bill) {
			b.Items[0].Quantity, b.Items[0].Price, b.Items[0].Amount = 22500, 13, 293
			settle(b)
		}, ""},
		{"item amount rounds down", bill.Outpatient, func(b *bill.Bill) {
			b.Items[0].Quantity, b.Items[0].Price, b.Items[0].Amount = 22500, 13, 292
			settle(b)
		}, "items[0].amount"},
		{"item self paid above amount", bill.Outpatient, func(b *bill.Bill) { b.Items[0].SelfPaid = b.Items[0].Amount + 1; settle(b) }, "items[0].self_paid"},
		{"item remark too long", bill.Outpatient, func(b *bill.Bill) { b.Items[0].Remark = strings.Repeat("注", 201) }, "items[0].remark"},
		{"item remark two lines", bill.Outpatient, func(b *bill.Bill) { b.Items[0].Remark = "第一行\n" + strings.Repeat("注", 196) }, ""},
		{"item remark rare characters", bill.Outpatient, func(b *bill.Bill) { b.Items[0].Remark = strings.Repeat("𠀀", 151) }, "items[0].remark"},
		{"item remark tab", bill.Outpatient, func(b *bill.Bill) { b.Items[0].Remark = "a\tb" }, "items[0].remark"},
		{"total wrong", bill.Outpatient, func(b *bill.Bill) { b.Total += 1; b.Payment.Cash += 1 }, "total"},
		{"total negative", bill.Outpatient, func(b *bill.Bill) { b.Total = -1 }, "total"},
		{"payment sum wrong", bill.Outpatient, func(b *bill.Bill) { b.Payment.Cash += 1 }, "payment"},
		{"payment other", bill.Outpatient, func(b *bill.Bill) { b.Payment.Other, b.Payment.Fund = b.Payment.Fund, 0 }, ""},
		{"payment negative", bill.Outpatient, func(b *bill.Bill) { b.Payment.Other, b.Payment.Cash = -100, b.Payment.Cash+100 }, "payment.other"},
		{"personal part too big", bill.Outpatient, func(b *bill.Bill) { b.Payment.SelfPay += 1 }, "payment.self_pay"},
		{"personal part smaller", bill.Outpatient, func(b *bill.Bill) { b.Payment.SelfPay -= 1 }, ""},
		{"deposit mismatch", bill.Inpatient, func(b *bill.Bill) { b.Payment.Refund += 1 }, "payment.cash"},
		{"deposit on outpatient", bill.Outpatient, func(b *bill.Bill) { b.Payment.Prepaid = b.Payment.Cash }, ""},
		{"deposit overflows", bill.Inpatient, func(b *bill.Bill) { b.Payment.Prepaid, b.Payment.Supplement = 1<<62, 1<<62 }, "payment.cash"},
		{"visit date missing", bill.Outpatient, func(b *bill.Bill) { b.Medical.VisitDate = bill.Date{} }, "medical.visit_date"},
		{"visit date after creation", bill.Outpatient, func(b *bill.Bill) { b.Medical.VisitDate = bill.Date{Year: 2026, Month: 11, Day: 24} }, "medical.visit_date"},
		{"visit date in China time", bill.Outpatient, func(b *bill.Bill) {
			b.CreatedAt = time.Date(2026, 11, 22, 16, 30, 0, 0, time.UTC) // 00:30 on the 23rd in Nanjing
		}, ""},
		{"admission missing", bill.Inpatient, func(b *bill.Bill) { b.Medical.AdmissionDate = bill.Date{} }, "medical.admission_date"},
		{"discharge missing", bill.Inpatient, func(b *bill.Bill) { b.Medical.DischargeDate = bill.Date{} }, "medical.discharge_date"},
		{"discharge before admission", bill.Inpatient, func(b *bill.Bill) {
			b.Medical.AdmissionDate = bill.Date{Year: 2026, Month: 11, Day: 21}
		}, "medical.discharge_date"},
		{"same-day stay", bill.Inpatient, func(b *bill.Bill) { b.Medical.AdmissionDate = b.Medical.DischargeDate }, ""},
		{"discharge after creation", bill.Inpatient, func(b *bill.Bill) { b.CreatedAt = created.AddDate(0, 0, -4) }, "medical.discharge_date"},
		{"sex unknown", bill.Outpatient, func(b *bill.Bill) { b.Medical.Sex = "M" }, "medical.sex"},
		{"sex 未知", bill.Outpatient, func(b *bill.Bill) { b.Medical.Sex = "未知" }, ""},
		{"department too long", bill.Outpatient, func(b *bill.Bill) { b.Medical.Department = strings.Repeat("科", 51) }, "medical.department"},
		{"remark too long", bill.Outpatient, func(b *bill.Bill) { b.Remark = strings.Repeat("注", 201) }, "remark"},
		{"remark longest", bill.Outpatient, func(b *bill.Bill) { b.Remark = strings.Repeat("注", 200) }, ""},
		{"remark longest ASCII", bill.Outpatient, func(b *bill.Bill) { b.Remark = strings.Repeat("a", bill.MaxReasonBytes) }, ""},
		{"remark bytes over", bill.Outpatient, func(b *bill.Bill) { b.Remark = strings.Repeat("a", bill.MaxReasonBytes+1) }, "remark"},
		{"cashier missing", bill.Outpatient, func(b *bill.Bill) { b.Cashier = "" }, "cashier"},
		{"reviewer too long", bill.Outpatient, func(b *bill.Bill) { b.Reviewer = strings.Repeat("审", 51) }, "reviewer"},
		{"issuing point too long", bill.Outpatient, func(b *bill.Bill) { b.IssuingPoint = strings.Repeat("点", 51) }, "issuing_point"},
		{"red bill", bill.Outpatient, reverse, ""},
		{"red inpatient bill", bill.Inpatient, reverse, ""},
		{"red positive total", bill.Outpatient, func(b *bill.Bill) {
			b.Red = &bill.RedLink{OriginalID: bill.ID("a", "b"), OriginalCode: "32060126", OriginalNumber: "0000000001", Reason: "退费"}
		}, "total"},
		{"red positive quantity", bill.Outpatient, func(b *bill.Bill) { reverse(b); b.Items[0].Quantity = -b.Items[0].Quantity }, "items[0].quantity"},
		{"red positive amount", bill.Outpatient, func(b *bill.Bill) { reverse(b); b.Payment.Other, b.Payment.Cash = 100, b.Payment.Cash-100 }, "payment.other"},
		{"red reason missing", bill.Outpatient, func(b *bill.Bill) { reverse(b); b.Red.Reason = "" }, "red.reason"},
		{"red reason 200 rare characters", bill.Outpatient, func(b *bill.Bill) { reverse(b); b.Red.Reason = strings.Repeat("𠀀", 200) }, "red.reason"},
		{"red original id", bill.Outpatient, func(b *bill.Bill) { reverse(b); b.Red.OriginalID = "xyz" }, "red.original_id"},
		{"red original code", bill.Outpatient, func(b *bill.Bill) { reverse(b); b.Red.OriginalCode = "" }, "red.original_code"},
		{"red original number", bill.Outpatient, func(b *bill.Bill) { reverse(b); b.Red.OriginalNumber = "12" }, "red.original_number"},
		{"red personal part too big", bill.Outpatient, func(b *bill.Bill) { reverse(b); b.Payment.SelfPay -= 1 }, "payment.self_pay"},
		{"red personal part smaller", bill.Outpatient, func(b *bill.Bill) { reverse(b); b.Payment.SelfPay += 1 }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := readExample(t, map[bill.Kind]string{bill.Outpatient: examples[0], bill.Inpatient: examples[1]}[tt.kind])
			tt.mutate(b)
			err := b.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			var ps bill.Problems
			if !errors.As(err, &ps) {
				t.Fatalf("Validate() = %v, want Problems", err)
			}
			found := false
			for _, p := range ps {
				found = found || p.Path == tt.want
				if p.ZH == "" || p.EN == "" || p.ZH == p.EN {
					t.Errorf("problem %+v needs a Chinese and an English message", p)
				}
			}
			if !found {
				t.Errorf("no problem at %s in %v", tt.want, err)
			}
		})
	}
}

// reverse turns a bill into the red bill of it, issued.
func reverse(b *bill.Bill) {
	iss := bill.Issued{Bill: *b, Number: "0000000042"}
	*b = *iss.Reversal(bill.ID(b.OrgCode, b.Serial), "R-"+b.Serial, "患者退费", b.CreatedAt.Add(time.Hour))
}

func TestValidateListsEverything(t *testing.T) {
	b, _ := readExample(t, examples[0])
	b.Code, b.Payer.Name, b.Items[2].Category, b.Cashier = "1", "", "", ""
	err := b.Validate()
	var ps bill.Problems
	if !errors.As(err, &ps) {
		t.Fatal(err)
	}
	var paths []string
	for _, p := range ps {
		paths = append(paths, p.Path)
	}
	if want := []string{"code", "cashier", "payer.name", "items[2].category"}; !slices.Equal(paths, want) {
		t.Errorf("paths %q, want %q", paths, want)
	}
	const msg = `bill breaks 4 rule(s): code: bill code "1" must be 8 digits; cashier: cashier is required; ` +
		`payer.name: payer name is required; items[2].category: item category is required`
	if err.Error() != msg {
		t.Errorf("Error() = %q\nwant %q", err, msg)
	}
}

func TestReversal(t *testing.T) {
	in, _ := readExample(t, examples[1])
	b := &bill.Issued{Bill: *in, Number: "0000000042", CheckCode: "0a1b2c", IssuedAt: created}
	r := b.Reversal(bill.ID(b.OrgCode, b.Serial), "R1", "患者退费", created)
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	if r.Total != -b.Total || r.Items[3].Quantity != -b.Items[3].Quantity || r.Payment.Refund != -b.Payment.Refund {
		t.Errorf("amounts not negated: %+v", r)
	}
	want := bill.RedLink{OriginalID: bill.ID(b.OrgCode, b.Serial), OriginalCode: "32060126", OriginalNumber: "0000000042", Reason: "患者退费"}
	if *r.Red != want || r.Serial != "R1" {
		t.Errorf("link %+v, serial %q", *r.Red, r.Serial)
	}
	if b.Items[3].Quantity < 0 || b.Red != nil {
		t.Error("Reversal changed the original bill")
	}
	if got := r.Total.Capitals(); !strings.HasPrefix(got, "负伍仟陆佰壹拾元") {
		t.Errorf("red capitals %s", got)
	}
}

func TestSample(t *testing.T) {
	for _, kind := range []bill.Kind{bill.Outpatient, bill.Inpatient} {
		for _, n := range []int{1, 18, 60, 120, 999} {
			t.Run(fmt.Sprintf("%s/%d", kind, n), func(t *testing.T) {
				b := bill.Sample(kind, "12320100466001234B", fmt.Sprintf("S%04d", n), n, created)
				if err := b.Validate(); err != nil {
					t.Fatal(err)
				}
				if b.Kind != kind || len(b.Items) != n || b.Code != "32060126" {
					t.Errorf("kind %s, %d items, code %s", b.Kind, len(b.Items), b.Code)
				}
				again := bill.Sample(kind, "12320100466001234B", fmt.Sprintf("S%04d", n), n, created)
				x, _ := b.Marshal()
				y, _ := again.Marshal()
				if string(x) != string(y) {
					t.Error("Sample is not deterministic")
				}
				if n >= 18 {
					seen := map[bill.Category]bool{}
					for _, it := range b.Items {
						seen[it.Category] = true
					}
					if len(seen) != len(bill.Categories) {
						t.Errorf("%d of %d categories", len(seen), len(bill.Categories))
					}
				}
			})
		}
	}
}

func TestSortedItems(t *testing.T) {
	b, _ := readExample(t, examples[0])
	var got []string
	for _, it := range b.SortedItems() {
		got = append(got, it.Name)
	}
	want := []string{"门诊诊察费（副主任医师）", "胸部正侧位X线摄影（DR）", "血细胞分析（五分类）", "C反应蛋白测定（CRP）",
		"头孢克肟胶囊 0.1g×6粒", "盐酸氨溴索片 30mg×20片", "连花清瘟胶囊 0.35g×24粒", "普通门诊挂号费", "病历本工本费"}
	if !slices.Equal(got, want) {
		t.Errorf("SortedItems names\n got %q\nwant %q", got, want)
	}
	b.Items[0].Category = "未列明"
	if sorted := b.SortedItems(); sorted[len(sorted)-1].Name != "普通门诊挂号费" {
		t.Error("an unknown category should print last")
	}
	if b.Items[0].Name != "普通门诊挂号费" {
		t.Error("SortedItems reordered the bill's own items")
	}
}

func TestMaskID(t *testing.T) {
	for in, want := range map[string]string{
		"320102199001011234": "320102********1234",
		"12320100466001234B": "123201********234B",
		"320102900101123":    "320102*****1123",
		"E12345678":          "E1*****78",
		"1234":               "1**4",
		"1":                  "*",
		"":                   "",
		"张三丰":                "***",
	} {
		if got := bill.MaskID(in); got != want {
			t.Errorf("MaskID(%q) = %q, want %q", in, got, want)
		}
	}
}

func ExampleMaskID() {
	fmt.Println(bill.MaskID("320102199001011234"))
	// Output: 320102********1234
}

func ExampleBill_Validate() {
	b := bill.Sample(bill.Outpatient, "h1", "MZ1", 3, created)
	b.Items[1].Amount = 1
	err := b.Validate()
	for _, p := range err.(bill.Problems) {
		fmt.Println(p.Path, p.ZH)
	}
	// Output:
	// items[1].amount 金额应为数量1×单价20.00=20.00，现为0.01
	// total 合计金额应为各项目金额之和49.71，现为69.70
}
