package bill

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of the text fields and of the item list. Remarks and reasons are counted in bytes,
// as the ledger counts the reasons it stores (it uses MaxReasonBytes too), so a text that
// passes here is never refused there; 600 bytes hold 200 common Chinese characters.
const (
	MaxName        = 50  // runes in a name or other one-line text
	MaxReasonBytes = 600 // bytes of UTF-8 in a remark or reason
	MaxSerial      = 64  // printable ASCII bytes in a business serial or org code
	MaxItems       = 999 // items on one bill
	billCodeLen    = 8
	numberLen      = 10
)

// china is the zone the visit, admission and discharge days are written in; a fixed offset
// keeps validation the same on every machine.
var china = time.FixedZone("CST", 8*60*60)

// Problem is one broken rule: Path names the field (items[3].amount, payer.id, payment) and
// ZH and EN say what is wrong, in Chinese for the cashier and in English for logs.
type Problem struct {
	Path, ZH, EN string
}

// Problems is every broken rule of a bill, in field order: the error Validate returns.
type Problems []Problem

func (ps Problems) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "bill breaks %d rule(s)", len(ps))
	sep := ": "
	for _, p := range ps {
		b.WriteString(sep + p.Path + ": " + p.EN)
		sep = "; "
	}
	return b.String()
}

// Validate checks the bill against the rules of docs/bill-json.md and returns nil or
// Problems listing all that are broken, so a form can mark every bad field at once.
func (b *Bill) Validate() error {
	c := checker{red: b.Red != nil, item: -1}
	c.head(b)
	c.parties(b)
	c.items(b)
	c.medical(b)
	c.payment(b)
	c.redLink(b)
	if len(c.ps) == 0 {
		return nil
	}
	return c.ps
}

type checker struct {
	ps   Problems
	red  bool // a red bill: amounts are negative and quantities count back
	item int  // while ≥ 0, paths are fields of items[item]; built only for a problem
}

func (c *checker) add(path, zh, en string) {
	if c.item >= 0 {
		path = "items[" + strconv.Itoa(c.item) + "]." + path
	}
	c.ps = append(c.ps, Problem{path, zh, en})
}

func (c *checker) addf(path, zh, en string, args ...any) {
	c.add(path, fmt.Sprintf(zh, args...), fmt.Sprintf(en, args...))
}

func (c *checker) head(b *Bill) {
	switch b.Kind {
	case Outpatient, Inpatient:
	case "":
		c.missing("kind", "票据种类", "kind")
	default:
		c.addf("kind", "票据种类%q无效，应为 outpatient 或 inpatient", "kind %q is unknown; want outpatient or inpatient", b.Kind)
	}
	c.digits("code", "票据代码", "bill code", b.Code, billCodeLen, true)
	c.serial("org", "机构代码", "org code", b.OrgCode)
	c.serial("serial", "业务流水号", "business serial", b.Serial)
	if b.CreatedAt.IsZero() {
		c.missing("created", "开票时间", "creation time")
	}
	c.text("issuing_point", "开票点", "issuing point", b.IssuingPoint, MaxName, false)
	c.remark("remark", "备注", "remark", b.Remark, false)
	c.text("cashier", "收款人", "cashier", b.Cashier, MaxName, true)
	c.text("reviewer", "复核人", "reviewer", b.Reviewer, MaxName, false)
}

func (c *checker) parties(b *Bill) {
	c.text("payer.name", "交款人", "payer name", b.Payer.Name, MaxName, true)
	switch b.Payer.Type {
	case PayerPerson:
		if b.Payer.ID != "" {
			c.residentID("payer.id", b.Payer.ID)
		}
	case PayerUnit:
		if b.Payer.ID != "" {
			c.creditCode("payer.id", b.Payer.ID)
		}
	case "":
		c.missing("payer.type", "交款人类型", "payer type")
	default:
		c.addf("payer.type", "交款人类型%q无效，应为 person 或 unit", "payer type %q is unknown; want person or unit", b.Payer.Type)
	}
	c.text("payee.name", "收款单位", "payee name", b.Payee.Name, MaxName, true)
	if b.Payee.CreditCode == "" {
		c.missing("payee.credit_code", "收款单位统一社会信用代码", "payee credit code")
	} else {
		c.creditCode("payee.credit_code", b.Payee.CreditCode)
	}
}

func (c *checker) items(b *Bill) {
	switch n := len(b.Items); {
	case n == 0:
		c.add("items", "至少需要一个收费项目", "at least one item is required")
	case n > MaxItems:
		c.addf("items", "收费项目有%d个，最多%d个", "%d items; at most %d are allowed", n, MaxItems)
		return // one problem, not thousands
	}
	for i, it := range b.Items {
		c.item = i
		c.text("code", "项目编码", "item code", it.Code, MaxName, false)
		c.text("name", "项目名称", "item name", it.Name, MaxName, true)
		switch {
		case it.Category == "":
			c.missing("category", "项目类别", "item category")
		case !slices.Contains(Categories, it.Category):
			c.addf("category", "项目类别%q无效，应为：%s", "item category %q is unknown; want one of %[2]s", it.Category, joinCategories())
		}
		c.text("unit", "计量单位", "unit", it.Unit, MaxName, false)
		switch {
		case !c.red && it.Quantity <= 0:
			c.addf("quantity", "数量应大于0，现为%s", "quantity must be above 0, is %s", it.Quantity)
		case c.red && it.Quantity >= 0:
			c.addf("quantity", "红票数量应小于0，现为%s", "a red bill's quantity must be below 0, is %s", it.Quantity)
		}
		if it.Price < 0 {
			c.addf("price", "单价不能为负，现为%s", "price must not be negative, is %s", it.Price)
		}
		c.sign("amount", "金额", "amount", it.Amount)
		if want := it.Quantity.Times(it.Price); want != it.Amount {
			c.addf("amount", "金额应为数量%s×单价%s=%s，现为%s", "amount must be quantity %s × price %s = %s, is %s",
				it.Quantity, it.Price, want, it.Amount)
		}
		c.sign("self_paid", "自费金额", "self-paid amount", it.SelfPaid)
		if magnitude(int64(it.SelfPaid)) > magnitude(int64(it.Amount)) {
			c.addf("self_paid", "自费金额%s超过项目金额%s", "self-paid amount %s exceeds the item amount %s", it.SelfPaid, it.Amount)
		}
		c.remark("remark", "项目备注", "item remark", it.Remark, false)
	}
	c.item = -1
	sum, ok := Money(0), true
	for _, it := range b.Items {
		sum, ok = addMoney(ok, sum, it.Amount)
	}
	c.sign("total", "合计金额", "total", b.Total)
	switch {
	case !ok:
		c.add("total", "项目金额之和超出范围", "the sum of the item amounts is out of range")
	case sum != b.Total:
		c.addf("total", "合计金额应为各项目金额之和%s，现为%s", "total must be the sum of the item amounts, %s; is %s", sum, b.Total)
	}
}

func (c *checker) medical(b *Bill) {
	m := &b.Medical
	c.text("medical.institution_type", "医疗机构类型", "institution type", m.InstitutionType, MaxName, false)
	c.text("medical.department", "科室", "department", m.Department, MaxName, false)
	c.text("medical.patient_no", "门诊/住院号", "patient number", m.PatientNo, MaxName, false)
	c.text("medical.record_no", "病历号", "record number", m.RecordNo, MaxName, false)
	switch m.Sex {
	case "", "男", "女", "未知":
	default:
		c.addf("medical.sex", "性别%q无效，应为男、女或未知", "sex %q is unknown; want 男, 女 or 未知", m.Sex)
	}
	c.text("medical.insurance_type", "医保类型", "insurance type", m.InsuranceType, MaxName, false)
	c.text("medical.insurance_no", "医保编号", "insurance number", m.InsuranceNo, MaxName, false)

	switch b.Kind {
	case Outpatient:
		if m.VisitDate.IsZero() {
			c.add("medical.visit_date", "门诊票据缺少就诊日期", "an outpatient bill needs the visit date")
		}
	case Inpatient:
		if m.AdmissionDate.IsZero() {
			c.add("medical.admission_date", "住院票据缺少入院日期", "an inpatient bill needs the admission date")
		}
		if m.DischargeDate.IsZero() {
			c.add("medical.discharge_date", "住院票据缺少出院日期", "an inpatient bill needs the discharge date")
		}
	}
	if !m.AdmissionDate.IsZero() && !m.DischargeDate.IsZero() && m.DischargeDate.Compare(m.AdmissionDate) < 0 {
		c.addf("medical.discharge_date", "出院日期%s早于入院日期%s", "discharge date %s is before the admission date %s",
			m.DischargeDate, m.AdmissionDate)
	}
	if b.CreatedAt.IsZero() {
		return
	}
	created := DateOf(b.CreatedAt.In(china))
	for _, d := range []struct {
		path, zh, en string
		day          Date
	}{
		{"medical.visit_date", "就诊日期", "visit date", m.VisitDate},
		{"medical.admission_date", "入院日期", "admission date", m.AdmissionDate},
		{"medical.discharge_date", "出院日期", "discharge date", m.DischargeDate},
	} {
		if d.day.Compare(created) > 0 {
			c.addf(d.path, d.zh+"%s晚于开票日期%s", d.en+" %s is after the day the bill was made, %s", d.day, created)
		}
	}
}

func (c *checker) payment(b *Bill) {
	p := &b.Payment
	for _, f := range []struct {
		path, zh, en string
		m            Money
	}{
		{"payment.fund", "医保统筹基金支付", "fund payment", p.Fund},
		{"payment.other", "其他支付", "other payment", p.Other},
		{"payment.account", "个人账户支付", "personal account payment", p.Account},
		{"payment.cash", "个人现金支付", "cash payment", p.Cash},
		{"payment.self_pay", "个人自付", "self-pay", p.SelfPay},
		{"payment.self_funded", "个人自费", "self-funded", p.SelfFunded},
		{"payment.prepaid", "预缴金额", "prepaid deposit", p.Prepaid},
		{"payment.supplement", "补缴金额", "supplementary payment", p.Supplement},
		{"payment.refund", "退费金额", "refund", p.Refund},
	} {
		c.sign(f.path, f.zh, f.en, f.m)
	}
	paid, ok := addMoney(true, p.Fund, p.Other)
	paid, ok = addMoney(ok, paid, p.Account)
	paid, ok = addMoney(ok, paid, p.Cash)
	switch {
	case !ok:
		c.add("payment", "支付金额之和超出范围", "the sum of the payments is out of range")
	case paid != b.Total:
		c.addf("payment", "统筹%s+其他%s+个人账户%s+现金%s=%s，应等于合计金额%s",
			"fund %s + other %s + account %s + cash %s = %s must equal the total %s",
			p.Fund, p.Other, p.Account, p.Cash, paid, b.Total)
	}
	personal, ok1 := addMoney(true, p.SelfPay, p.SelfFunded)
	own, ok2 := addMoney(true, p.Account, p.Cash)
	small, large := personal, own
	if c.red {
		small, large = large, small // both negative: compare sizes
	}
	if ok1 && ok2 && small > large {
		c.addf("payment.self_pay", "个人自付%s+个人自费%s超过个人账户%s+现金%s",
			"self-pay %s + self-funded %s exceed account %s + cash %s", p.SelfPay, p.SelfFunded, p.Account, p.Cash)
	}
	if p.Prepaid != 0 || p.Supplement != 0 || p.Refund != 0 {
		in, ok1 := addMoney(true, p.Prepaid, p.Supplement)
		out, ok2 := addMoney(true, p.Cash, p.Refund)
		if !ok1 || !ok2 || in != out {
			c.addf("payment.cash", "预缴%s+补缴%s-退费%s应等于现金支付%s",
				"prepaid %s + supplement %s - refund %s must equal the cash payment %s",
				p.Prepaid, p.Supplement, p.Refund, p.Cash)
		}
	}
}

func (c *checker) redLink(b *Bill) {
	r := b.Red
	if r == nil {
		return
	}
	if b.Total >= 0 {
		c.addf("total", "红票合计金额应为负，现为%s", "a red bill's total must be negative, is %s", b.Total)
	}
	if !isLowerHex(r.OriginalID, 32) {
		c.addf("red.original_id", "原票据ID%q应为32位小写十六进制数", "original bill id %q must be 32 lowercase hex digits", r.OriginalID)
	}
	c.digits("red.original_code", "原票据代码", "original bill code", r.OriginalCode, billCodeLen, true)
	c.digits("red.original_number", "原票据号码", "original bill number", r.OriginalNumber, numberLen, true)
	c.remark("red.reason", "冲红原因", "reversal reason", r.Reason, true)
}

// sign checks that an amount is not negative, or on a red bill not positive.
func (c *checker) sign(path, zh, en string, m Money) {
	switch {
	case !c.red && m < 0:
		c.addf(path, zh+"不能为负（仅红票可为负），现为%s", en+" must not be negative except on a red bill, is %s", m)
	case c.red && m > 0:
		c.addf(path, "红票"+zh+"不能为正，现为%s", "a red bill's "+en+" must not be positive, is %s", m)
	}
}

// missing reports a required field left empty.
func (c *checker) missing(path, zh, en string) {
	c.add(path, "缺少"+zh, en+" is required")
}

// tooLong reports a field of n characters where at most limit are allowed.
func (c *checker) tooLong(path, zh, en string, limit, n int) {
	c.addf(path, zh+"最多%d个字符，现有%d个", en+" has %[2]d characters; at most %[1]d are allowed", limit, n)
}

// text checks a one-line text of at most limit runes: names print on one line.
func (c *checker) text(path, zh, en, s string, limit int, required bool) {
	c.freeText(path, zh, en, s, required, false, func() {
		if n := utf8.RuneCountInString(s); n > limit {
			c.tooLong(path, zh, en, limit, n)
		}
	})
}

// remark checks a remark or reason: at most MaxReasonBytes, line breaks allowed.
func (c *checker) remark(path, zh, en, s string, required bool) {
	c.freeText(path, zh, en, s, required, true, func() {
		if len(s) > MaxReasonBytes {
			c.addf(path, zh+"最多%d字节（约%d个汉字），现有%d字节", en+" has %[3]d bytes; at most %[1]d are allowed (about %[2]d Chinese characters)",
				MaxReasonBytes, MaxReasonBytes/3, len(s))
		}
	})
}

// freeText checks what every text shares and, when those pass, its length.
func (c *checker) freeText(path, zh, en, s string, required, multiline bool, length func()) {
	switch {
	case s == "":
		if required {
			c.missing(path, zh, en)
		}
	case !utf8.ValidString(s):
		c.add(path, zh+"含有无效的UTF-8编码", en+" is not valid UTF-8")
	case strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && !(multiline && r == '\n') }) >= 0:
		c.add(path, zh+"含有控制字符", en+" contains a control character")
	default:
		length()
	}
}

func (c *checker) serial(path, zh, en, s string) {
	switch {
	case s == "":
		c.missing(path, zh, en)
	case len(s) > MaxSerial:
		c.tooLong(path, zh, en, MaxSerial, len(s))
	case strings.IndexFunc(s, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0:
		c.addf(path, zh+"%q只能由可打印ASCII字符组成，不含空格", en+" %q must be printable ASCII without spaces", s)
	}
}

func (c *checker) digits(path, zh, en, s string, n int, required bool) {
	switch {
	case s == "":
		if required {
			c.missing(path, zh, en)
		}
	case len(s) != n || !allDigits(s):
		c.addf(path, zh+"%q应为%d位数字", en+" %q must be %d digits", s, n)
	}
}

// residentID checks a resident ID number (居民身份证号码, GB 11643): 17 digits whose middle
// eight are a birth date, then a check character from the weighted sum mod 11.
func (c *checker) residentID(path, id string) {
	if len(id) != 18 || !allDigits(id[:17]) {
		c.addf(path, "身份证号%q应为18位：17位数字加一位校验码", "ID number %q must be 18 characters: 17 digits and a check character", id)
		return
	}
	if _, err := ParseDate(id[6:10] + "-" + id[10:12] + "-" + id[12:14]); err != nil || id[6:8] < "18" {
		c.addf(path, "身份证号%q中的出生日期%s无效", "ID number %q holds an invalid birth date %s", id, id[6:14])
		return
	}
	if want := residentCheck(id[:17]); id[17] != want {
		c.addf(path, "身份证号%q校验码错误，应为%c", "ID number %q has a wrong check character; want %c", id, want)
	}
}

var residentWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

func residentCheck(body string) byte {
	sum := 0
	for i, w := range residentWeights {
		sum += int(body[i]-'0') * w
	}
	return "10X98765432"[sum%11]
}

// creditAlphabet is GB 32100's: digits and the capitals without I, O, S, V and Z.
const creditAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var creditWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// creditCode checks a unified social credit code (统一社会信用代码, GB 32100): 18 characters of
// creditAlphabet, the last a check character from the weighted sum mod 31.
func (c *checker) creditCode(path, code string) {
	if len(code) != 18 || strings.IndexFunc(code, func(r rune) bool { return !strings.ContainsRune(creditAlphabet, r) }) >= 0 {
		c.addf(path, "统一社会信用代码%q应为18位数字或大写字母（不含I、O、S、V、Z）",
			"credit code %q must be 18 digits or capitals other than I, O, S, V, Z", code)
		return
	}
	if want := creditCheck(code[:17]); code[17] != want {
		c.addf(path, "统一社会信用代码%q校验码错误，应为%c", "credit code %q has a wrong check character; want %c", code, want)
	}
}

func creditCheck(body string) byte {
	sum := 0
	for i, w := range creditWeights {
		sum += strings.IndexByte(creditAlphabet, body[i]) * w
	}
	return creditAlphabet[(31-sum%31)%31]
}

func isLowerHex(s string, n int) bool {
	return len(s) == n && strings.IndexFunc(s, func(r rune) bool { return !('0' <= r && r <= '9' || 'a' <= r && r <= 'f') }) < 0
}

func joinCategories() string {
	s := make([]string, len(Categories))
	for i, c := range Categories {
		s[i] = string(c)
	}
	return strings.Join(s, "、")
}

// addMoney adds while ok stays true, and turns ok false on overflow.
func addMoney(ok bool, a, b Money) (Money, bool) {
	s := a + b
	if !ok || (b > 0 && s < a) || (b < 0 && s > a) {
		return 0, false
	}
	return s, true
}
