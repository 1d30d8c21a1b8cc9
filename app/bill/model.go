package bill

import "time"

// Kind is the kind of a medical bill.
type Kind string

const (
	Outpatient Kind = "outpatient" // 门诊
	Inpatient  Kind = "inpatient"  // 住院
)

// PayerType says whether the payer (交款人) is a person or a unit.
type PayerType string

const (
	PayerPerson PayerType = "person" // ID is a resident ID number (GB 11643)
	PayerUnit   PayerType = "unit"   // ID is a unified social credit code (GB 32100)
)

// Category is a medical fee category (收费项目类别).
type Category string

// Categories in the order of the data standard; items print in this order.
var Categories = []Category{
	"诊察费", "检查费", "化验费", "治疗费", "手术费", "卫生材料费", "西药费",
	"中药饮片", "中成药费", "一般诊疗费", "挂号费", "床位费", "护理费", "其他",
}

// Bill is one medical e-bill (医疗收费电子票据) as the hospital produces it: what a HIS file
// or the cashier's form hands in, and what the desk commits to and signs. Code is chosen by
// the desk; what the ledger assigns at issue is in Issued.
type Bill struct {
	Kind Kind   `json:"kind"`
	Code string `json:"code"` // 票据代码, 8 digits

	OrgCode   string    `json:"org"`     // the issuing hospital's org on the ledger
	Serial    string    `json:"serial"`  // 业务流水号, the idempotency key within the org
	CreatedAt time.Time `json:"created"` // when the desk produced the bill

	Payer        Payer  `json:"payer"`
	Payee        Payee  `json:"payee"`
	IssuingPoint string `json:"issuing_point,omitempty"` // 开票点

	Items   []Item  `json:"items"`
	Medical Medical `json:"medical"`
	Payment Payment `json:"payment"`
	Total   Money   `json:"total"`

	Remark   string `json:"remark,omitempty"`
	Cashier  string `json:"cashier"`            // 收款人
	Reviewer string `json:"reviewer,omitempty"` // 复核人

	// Red is set on a red (冲红) bill: its amounts are negative and it points at the
	// bill it reverses.
	Red *RedLink `json:"red,omitempty"`
}

// Issued is a bill with the facts the ledger assigned when it issued it, as it is printed;
// before issue they are empty. Its JSON is the bill's with these three fields added, which
// Decode refuses: a HIS file cannot choose them.
type Issued struct {
	Bill
	ID        string    `json:"id,omitempty"`         // the ledger's id: ID of its org and the serial's tag
	Number    string    `json:"number,omitempty"`     // 票据号码, 10 digits, from the number segment
	CheckCode string    `json:"check_code,omitempty"` // 校验码, 6 hex: CheckCode(chain, code, number, commitment)
	IssuedAt  time.Time `json:"issued_at,omitzero"`   // block time of the issue tx
}

// Payer is 交款人.
type Payer struct {
	Name string    `json:"name"`
	Type PayerType `json:"type"`
	ID   string    `json:"id,omitempty"` // ID number or credit code; printed masked
}

// Payee is 收款单位, the hospital.
type Payee struct {
	Name       string `json:"name"`
	CreditCode string `json:"credit_code"`
}

// Item is one line of the bill.
type Item struct {
	Code     string   `json:"code,omitempty"`
	Name     string   `json:"name"`
	Category Category `json:"category"`
	Unit     string   `json:"unit,omitempty"`
	Quantity Quantity `json:"quantity"`
	Price    Money    `json:"price"`  // standard unit price
	Amount   Money    `json:"amount"` // Quantity × Price, rounded half up to the fen
	SelfPaid Money    `json:"self_paid,omitempty"`
	Remark   string   `json:"remark,omitempty"`
}

// Medical is the medical information block.
type Medical struct {
	InstitutionType string `json:"institution_type,omitempty"` // 医疗机构类型
	Department      string `json:"department,omitempty"`
	PatientNo       string `json:"patient_no,omitempty"` // 门诊号 / 住院号
	RecordNo        string `json:"record_no,omitempty"`  // 病历号
	Sex             string `json:"sex,omitempty"`        // 男 / 女 / 未知
	VisitDate       Date   `json:"visit_date,omitzero"`  // outpatient
	AdmissionDate   Date   `json:"admission_date,omitzero"`
	DischargeDate   Date   `json:"discharge_date,omitzero"`
	InsuranceType   string `json:"insurance_type,omitempty"` // 医保类型, e.g. 职工基本医疗保险
	InsuranceNo     string `json:"insurance_no,omitempty"`
}

// Payment is how the total was paid. Fund + Other + Account + Cash must equal the total;
// SelfPay (个人自付) and SelfFunded (个人自费) break down the personal part. Prepaid,
// Supplement and Refund are the inpatient deposit settlement: Prepaid + Supplement − Refund
// equals Cash when any of them is given.
type Payment struct {
	Fund       Money `json:"fund"`                 // 医保统筹基金支付
	Other      Money `json:"other"`                // 其他支付
	Account    Money `json:"account"`              // 个人账户支付
	Cash       Money `json:"cash"`                 // 个人现金支付
	SelfPay    Money `json:"self_pay"`             // 个人自付
	SelfFunded Money `json:"self_funded"`          // 个人自费
	Prepaid    Money `json:"prepaid,omitempty"`    // 预缴
	Supplement Money `json:"supplement,omitempty"` // 补缴
	Refund     Money `json:"refund,omitempty"`     // 退费
}

// RedLink ties a red bill to the bill it reverses.
type RedLink struct {
	OriginalID     string `json:"original_id"`
	OriginalCode   string `json:"original_code"`
	OriginalNumber string `json:"original_number"`
	Reason         string `json:"reason"`
}
