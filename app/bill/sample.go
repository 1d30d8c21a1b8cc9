package bill

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"slices"
	"time"
)

// sampleItems are what a 南京 hospital bills, across all categories, cycled by Sample.
// Prices are the unit prices in fen; quantities in thousandths.
var sampleItems = []Item{
	{Code: "110200001", Name: "门诊诊察费（副主任医师）", Category: "诊察费", Unit: "次", Quantity: 1000, Price: 2500},
	{Code: "250101015", Name: "血细胞分析（五分类）", Category: "化验费", Unit: "项", Quantity: 1000, Price: 2000},
	{Code: "XA01AAX087A001010104034", Name: "布洛芬缓释胶囊 0.3g×20粒", Category: "西药费", Unit: "盒", Quantity: 2000, Price: 1235},
	{Code: "220600004", Name: "彩色多普勒超声常规检查（腹部）", Category: "检查费", Unit: "部位", Quantity: 1000, Price: 15000},
	{Code: "120400006", Name: "静脉输液", Category: "治疗费", Unit: "组", Quantity: 3000, Price: 800},
	{Code: "T0601001", Name: "黄芪（饮片）", Category: "中药饮片", Unit: "克", Quantity: 22500, Price: 13, SelfPaid: 293},
	{Code: "ZA01AAL0159010104012", Name: "连花清瘟胶囊 0.35g×24粒", Category: "中成药费", Unit: "盒", Quantity: 1000, Price: 1480},
	{Code: "HCA11010001", Name: "一次性使用输液器", Category: "卫生材料费", Unit: "套", Quantity: 3000, Price: 350},
	{Code: "250305005", Name: "C反应蛋白测定（CRP）", Category: "化验费", Unit: "项", Quantity: 1000, Price: 3000},
	{Code: "111100001", Name: "一般诊疗费", Category: "一般诊疗费", Unit: "次", Quantity: 1000, Price: 1000},
	{Code: "110100001", Name: "普通门诊挂号费", Category: "挂号费", Unit: "次", Quantity: 1000, Price: 100},
	{Code: "XJ01DDC028A001010101987", Name: "头孢曲松钠注射剂 1g", Category: "西药费", Unit: "支", Quantity: 6000, Price: 471},
	{Code: "330602003", Name: "腹腔镜下阑尾切除术", Category: "手术费", Unit: "次", Quantity: 1000, Price: 235000},
	{Code: "110900001", Name: "三人间病房床位费", Category: "床位费", Unit: "日", Quantity: 5000, Price: 3000},
	{Code: "120100003", Name: "Ⅱ级护理", Category: "护理费", Unit: "日", Quantity: 5000, Price: 1800},
	{Code: "T0607012", Name: "当归（饮片）", Category: "中药饮片", Unit: "克", Quantity: 9500, Price: 21},
	{Code: "310701008", Name: "心电图检查（十二通道）", Category: "检查费", Unit: "次", Quantity: 1000, Price: 2500},
	{Code: "990000001", Name: "病历本工本费", Category: "其他", Unit: "本", Quantity: 1000, Price: 100, SelfPaid: 100},
}

// Sample makes a valid bill of the given kind with n items, cycling through realistic
// items of every category: the same arguments always give the same bill. Dates follow from
// created (in China time), the code is 320601YY for the year, and the insurance split pays
// part of the covered amount from the fund, up to 200 yuan from the personal account and the
// rest in cash, settled against a deposit for inpatients. For demos, tests and benchmarks.
func Sample(kind Kind, org, serial string, n int, created time.Time) *Bill {
	day := DateOf(created.In(china))
	tag := crc32.ChecksumIEEE([]byte(org + "/" + serial))
	b := &Bill{
		Kind:      kind,
		Code:      fmt.Sprintf("320601%02d", day.Year%100),
		OrgCode:   org,
		Serial:    serial,
		CreatedAt: created,
		Payer:     Payer{Name: "王晓明", Type: PayerPerson, ID: "320102199001011232"},
		Payee:     Payee{Name: "南京江东人民医院", CreditCode: "12320100466001234B"},
		Medical: Medical{
			InstitutionType: "综合医院",
			PatientNo:       fmt.Sprintf("MZ%08d", tag%1_0000_0000),
			RecordNo:        fmt.Sprintf("BL%08d", tag/7%1_0000_0000),
			Sex:             "男",
			InsuranceType:   "职工基本医疗保险",
			InsuranceNo:     "32010099001011232",
		},
		Cashier:  "李静",
		Reviewer: "陈刚",
	}
	fundShare := Money(50) // percent of the covered amount
	switch kind {
	case Inpatient:
		b.IssuingPoint = "住院结算处"
		b.Medical.Department = "普通外科"
		b.Medical.PatientNo = fmt.Sprintf("ZY%08d", tag%1_0000_0000)
		b.Medical.DischargeDate = day
		b.Medical.AdmissionDate = DateOf(time.Date(day.Year, day.Month, day.Day-3-n%5, 0, 0, 0, 0, china))
		fundShare = 70
	default:
		b.IssuingPoint = "门诊收费处"
		b.Medical.Department = "呼吸内科"
		b.Medical.VisitDate = day
	}
	var selfFunded Money
	for i := range n {
		it := sampleItems[i%len(sampleItems)]
		b.Items = append(b.Items, it)
		selfFunded += it.SelfPaid
	}
	b.Derive() // the total the split shares out
	covered := b.Total - selfFunded
	p := &b.Payment
	p.Fund, p.SelfFunded = covered*fundShare/100, selfFunded
	p.SelfPay = covered - p.Fund
	p.Account = min(p.SelfPay, 20000)
	if kind == Inpatient {
		const step = 100000 // deposits are taken in thousands of yuan
		p.Prepaid = (b.Total - p.Fund - p.Account + step - 1) / step * step
	}
	b.Derive()
	return b
}

// RedSerial is the business serial of the red bill that reverses the bill with serial s:
// s + "-R", or, where that would exceed MaxSerial, s cut short with a hash of the whole
// of s in its place, so that two long serials sharing a prefix still get distinct red
// serials.
func RedSerial(s string) string {
	const suffix = "-R"
	if len(s)+len(suffix) <= MaxSerial {
		return s + suffix
	}
	sum := sha256.Sum256([]byte(s))
	tag := "~" + hex.EncodeToString(sum[:4])
	return s[:MaxSerial-len(tag)-len(suffix)] + tag + suffix
}

// Reversal is the red (冲红) bill that cancels b: the same payer, payee and items with
// quantities and amounts negated, linked to b by its ledger id, code and number. The
// ledger gives it its own number when it is issued.
func (b *Issued) Reversal(id, serial, reason string, created time.Time) *Bill {
	r := b.Bill
	r.Serial, r.CreatedAt = serial, created
	r.Red = &RedLink{OriginalID: id, OriginalCode: b.Code, OriginalNumber: b.Number, Reason: reason}
	r.Items = slices.Clone(b.Items)
	for i := range r.Items {
		it := &r.Items[i]
		it.Quantity, it.Amount, it.SelfPaid = -it.Quantity, -it.Amount, -it.SelfPaid
	}
	p := &r.Payment
	for _, m := range []*Money{&r.Total, &p.Fund, &p.Other, &p.Account, &p.Cash, &p.SelfPay, &p.SelfFunded, &p.Prepaid, &p.Supplement, &p.Refund} {
		*m = -*m
	}
	return &r
}
