package bill

import "strings"

const (
	capDigits = "零壹贰叁肆伍陆柒捌玖"
	capZero   = "零"
)

var capPlaces = [4]string{"", "拾", "佰", "仟"}

// Capitals writes the amount in Chinese capitals (大写金额) as printed on a bill:
// 壹仟肆佰零玖元伍角, 壹拾万零壹佰元整, 壹佰元零伍分, 伍角, 零元整, 负壹拾贰元整.
// 整 ends an amount without 角 and 分; each run of zeros inside the yuan is one 零, also
// across the 万 and 亿 groups; a ten is always 壹拾; red (negative) amounts get 负.
func (m Money) Capitals() string {
	var b strings.Builder
	b.Grow(64)
	if m < 0 {
		b.WriteString("负")
	}
	mag := magnitude(int64(m))
	yuan, jiao, fen := mag/100, mag/10%10, mag%10
	if yuan > 0 {
		writeYuan(&b, yuan)
		b.WriteString("元")
	}
	switch {
	case jiao == 0 && fen == 0:
		if yuan == 0 {
			b.WriteString(capZero + "元")
		}
		b.WriteString("整")
	case jiao == 0:
		if yuan > 0 {
			b.WriteString(capZero)
		}
	default:
		writeDigit(&b, jiao)
		b.WriteString("角")
	}
	if fen > 0 {
		writeDigit(&b, fen)
		b.WriteString("分")
	}
	return b.String()
}

// writeYuan writes n > 0 by splitting off 亿 and then 万 groups. The lower part gets its
// 零 when it does not fill its group's leading digit (100100 → 壹拾万零壹佰).
func writeYuan(b *strings.Builder, n uint64) {
	switch {
	case n >= 1_0000_0000:
		writeYuan(b, n/1_0000_0000)
		b.WriteString("亿")
		writeLower(b, n%1_0000_0000, 1000_0000)
	case n >= 1_0000:
		writeGroup(b, n/1_0000)
		b.WriteString("万")
		writeLower(b, n%1_0000, 1000)
	default:
		writeGroup(b, n)
	}
}

func writeLower(b *strings.Builder, low, lead uint64) {
	if low == 0 {
		return
	}
	if low < lead {
		b.WriteString(capZero)
	}
	writeYuan(b, low)
}

// writeGroup writes 0 < n < 10000 digit by digit: one 零 for a run of zeros between
// non-zero digits, nothing for trailing zeros.
func writeGroup(b *strings.Builder, n uint64) {
	started, zeros := false, false
	for p := 3; p >= 0; p-- {
		d := n / pow10[p] % 10
		switch {
		case d == 0:
			zeros = started
		default:
			if zeros {
				b.WriteString(capZero)
				zeros = false
			}
			writeDigit(b, d)
			b.WriteString(capPlaces[p])
			started = true
		}
	}
}

var pow10 = [4]uint64{1, 10, 100, 1000}

func writeDigit(b *strings.Builder, d uint64) {
	const width = uint64(len(capZero)) // every capital digit is one 3-byte rune
	b.WriteString(capDigits[d*width : (d+1)*width])
}
