package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"ebill/app/bill"
	"ebill/app/service"
	"ebill/app/wire"
	"ebill/cmd/internal/cmdline"
	"ebill/render"
)

func init() {
	program.Register(cmdline.Command[*cli]{Name: "verify", Args: "FILE.pdf [--online]", Run: (*cli).cmdVerify,
		Usage: "check a PDF e-bill against the validators the network file trusts",
		Help: `Reads the proof bundle the PDF embeds (` + render.AttachmentName + `) and checks, offline, the bill
against the record's commitment, the record's proof against the signed header, and the
header's signatures against the validator set of --network (a version 2 network file).
Prints what was verified and at which height. Exit 3 says why it does not verify; so does
a missing --network: the validators a PDF carries certify only themselves.
Whether the bill was reversed since needs the ledger: --online also reads its current
record through the light node, as --identity (any account of the network).`})
}

// errUnverified marks what stops a PDF from verifying that is not the service's to say (no
// attachment, no trusted validator set): exit 3 like a failed verification.
var errUnverified = errors.New("not verified")

func unverified(err error) error { return cmdline.Mark(err, errUnverified) }

// chinaTime is the zone of the dates printed on a bill.
var chinaTime = time.FixedZone("CST", 8*3600)

// verified is what verify prints with --json.
type verified struct {
	File      string     `json:"file"`
	ID        string     `json:"id"`
	Code      string     `json:"code"`
	Number    string     `json:"number"`
	CheckCode string     `json:"check_code"`
	Total     bill.Money `json:"total"`
	IssuedAt  time.Time  `json:"issued_at"`
	Status    string     `json:"status"` // at Height
	ChainID   string     `json:"chain_id"`
	Height    int64      `json:"height"`
	// Signed is the share of the trusted validators' power that signed the header.
	Signed float64 `json:"signed_percent"`
	Now    *live   `json:"now,omitempty"` // with --online
}

// live is the bill's record as the ledger holds it now.
type live struct {
	Status     string  `json:"status"`
	ReversedBy string  `json:"reversed_by,omitempty"`
	VerifiedAt int64   `json:"verified_at"`
	Signed     float64 `json:"signed_percent"`
}

func (c *cli) cmdVerify(args []string) error {
	fs := c.flags("verify")
	online := fs.Bool("online", false, "")
	pos, err := parse(fs, args, 1, 1, "a PDF FILE")
	if err != nil {
		return err
	}
	path := pos[0]
	if *online && c.identity == "" {
		return usagef("verify --online: no identity: give --identity NAME or set EBILL_IDENTITY")
	}
	v, chainID, err := c.verifyPDF(path)
	if err != nil {
		return fmt.Errorf("verify %s: %w", path, err)
	}
	r := v.Record
	res := verified{File: path, ID: v.ID, Code: r.Code, Number: r.Number, CheckCode: r.CheckCode, Total: r.Total,
		IssuedAt: r.IssuedAt, Status: statusWord(r), ChainID: chainID, Height: v.Verified.Height,
		Signed: v.Verified.SignedPercent}
	if !c.json {
		c.printVerified(&res)
	}
	if *online {
		if res.Now, err = c.readLive(v); err != nil {
			return fmt.Errorf("verify %s --online: %w", path, err)
		}
	}
	if c.json {
		return c.printJSON(res)
	}
	if res.Now == nil {
		fmt.Fprintf(c.stdout, "now:        not checked: whether it was reversed since height %d needs the ledger (--online)\n", res.Height)
		return nil
	}
	now := res.Now.Status
	if res.Now.ReversedBy != "" {
		now += " by red bill " + res.Now.ReversedBy
	} else if res.Now.Status == wire.StatusIssued.String() {
		now += ", not reversed"
	}
	fmt.Fprintf(c.stdout, "now:        %s (verified at height %d, %.0f%% of voting power)\n", now, res.Now.VerifiedAt, res.Now.Signed)
	return nil
}

// verifyPDF checks the proof bundle the PDF at path embeds against the validator set of
// the network file, and returns what it proves and the chain; no network is needed.
func (c *cli) verifyPDF(path string) (*service.View, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", inputErr(err)
	}
	defer f.Close()
	att, err := render.ReadAttachment(f)
	if err != nil {
		return nil, "", unverified(err)
	}
	b, err := service.ParseBundle(att)
	if err != nil {
		return nil, "", unverified(err)
	}
	if c.network == "" {
		return nil, "", unverified(errors.New("no trusted validator set: give --network FILE (the finance bureau's) or set EBILL_NETWORK; the validators the PDF carries certify only themselves"))
	}
	nf, err := c.networkFile()
	if err != nil {
		return nil, "", err
	}
	vals, err := nf.TrustedValidators()
	if err != nil {
		return nil, "", unverified(fmt.Errorf("%s: %w", c.network, err))
	}
	v, err := service.VerifyBundle(b, service.Trust{ChainID: nf.ChainID, Validators: vals})
	return v, nf.ChainID, err
}

func (c *cli) printVerified(res *verified) {
	fmt.Fprintf(c.stdout, "verified %s: bill %s\n", res.File, res.ID)
	fmt.Fprintf(c.stdout, "bill:       code %s  number %s  check code %s\n", res.Code, res.Number, res.CheckCode)
	fmt.Fprintf(c.stdout, "amount:     %s\n", res.Total)
	fmt.Fprintf(c.stdout, "date:       %s\n", res.IssuedAt.In(chinaTime).Format(time.DateTime))
	fmt.Fprintf(c.stdout, "status:     %s\n", res.Status)
	fmt.Fprintf(c.stdout, "height:     %d on chain %s, signed by validators holding %.0f%% of the trusted power\n",
		res.Height, res.ChainID, res.Signed)
}

// readLive reads the bill's record as the ledger holds it now, by the code and number the
// verified record gives, as any account of the network: the record is proven whether or
// not the identity may open the bill.
func (c *cli) readLive(v *service.View) (*live, error) {
	var now *live
	err := c.onDesk(func(ctx context.Context, d *service.Desk) error {
		cur, err := d.FetchNumber(ctx, v.Record.Code, v.Record.Number)
		if err != nil && (cur == nil || !errors.Is(err, service.ErrNotReader)) {
			return err
		}
		if cur.ID != v.ID {
			return unverified(fmt.Errorf("the ledger's bill %s %s is %s, the PDF's is %s", v.Record.Code, v.Record.Number, cur.ID, v.ID))
		}
		now = &live{Status: statusWord(cur.Record), ReversedBy: cur.Record.ReversedBy,
			VerifiedAt: cur.Verified.Height, Signed: cur.Verified.SignedPercent}
		return nil
	})
	return now, err
}
