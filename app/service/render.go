package service

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"

	"ebill/app/wire"
	"ebill/render"
)

// Render writes the PDF of an issued bill to w with its proof bundle attached, and returns
// the bill as verified. The status the PDF prints and the record in its attachment are one
// verified read, at one height.
func (d *Desk) Render(ctx context.Context, w io.Writer, id string) (*View, error) {
	v, err := d.view(ctx, id)
	if err != nil {
		return nil, err
	}
	return v, d.render(ctx, w, v)
}

// render writes the PDF of v as its verified read proved it.
func (d *Desk) render(ctx context.Context, w io.Writer, v *View) error {
	id, rec := v.ID, &v.Record
	if rec.Status != wire.StatusIssued && rec.Status != wire.StatusReversed {
		return fmt.Errorf("render %q: %w: it is %s, not issued", id, ErrBadState, rec.Status)
	}
	b, err := d.bundle(v)
	if err != nil {
		return err
	}
	attachment, err := b.Marshal()
	if err != nil {
		return err
	}
	hospital, err := d.orgOf(ctx, rec.Org)
	if err != nil {
		return err
	}
	bureau, err := d.orgOf(ctx, hospital.Bureau)
	if err != nil {
		return err
	}
	opts := render.Options{
		Province:     provinces[rec.Code[:2]],
		HospitalSeal: hospital.Name,
		BureauSeal:   bureau.Name,
		// The bureau's countersignature over the identity digest: with the bill's digest
		// (from the attachment or the ledger) anyone holding the bureau clerk's key checks it.
		QRSignature: base64.RawURLEncoding.EncodeToString(rec.ReviewSig),
		Attachment:  attachment,
	}
	if rec.Status == wire.StatusReversed {
		opts.Status = render.Reversed
	}
	for _, e := range rec.Events {
		if e.Type == wire.EventIssued || e.Type == wire.EventRedIssued {
			opts.Proof = &render.Proof{TxHash: hex.EncodeToString(e.TxHash[:]), Height: e.Height}
		}
	}
	if err := render.Render(w, v.Bill, opts); err != nil {
		return fmt.Errorf("render %q: %w", id, err)
	}
	return nil
}

// provinces names the province of a bill code's region digits (GB/T 2260), for the title.
var provinces = map[string]string{
	"11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区",
	"21": "辽宁省", "22": "吉林省", "23": "黑龙江省",
	"31": "上海市", "32": "江苏省", "33": "浙江省", "34": "安徽省", "35": "福建省", "36": "江西省", "37": "山东省",
	"41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西壮族自治区", "46": "海南省",
	"50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省", "54": "西藏自治区",
	"61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区", "65": "新疆维吾尔自治区",
}
