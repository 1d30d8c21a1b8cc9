package lightclient

import (
	"context"
	"crypto/ed25519"
	"fmt"

	"github.com/cometbft/cometbft/types"

	"ebill/app/bill"
	"ebill/app/ledger"
)

// The typed reads below prove their record with Get's procedure and only then decode it.
// A record that proves but does not decode, or does not match the key it was read under,
// is refused with ErrVerification: the ledger never writes one.

// Bill returns the bill with this id (bill.ID(org, serial)).
func (c *Client) Bill(ctx context.Context, id string) (ledger.Bill, Verified, error) {
	lb, err := c.latest(ctx)
	if err != nil {
		return ledger.Bill{}, Verified{}, err
	}
	return c.billAt(ctx, lb, id)
}

// BillBySerial returns org's bill with this business serial (业务流水号).
func (c *Client) BillBySerial(ctx context.Context, org, serial string) (ledger.Bill, Verified, error) {
	return c.Bill(ctx, bill.ID(org, serial))
}

// BillByNumber returns the issued bill with this bill code and number. The index entry and
// the bill are both proven, against the same header.
func (c *Client) BillByNumber(ctx context.Context, code, number string) (ledger.Bill, Verified, error) {
	lb, err := c.latest(ctx)
	if err != nil {
		return ledger.Bill{}, Verified{}, err
	}
	id, v, err := c.getAt(ctx, lb, ledger.NumberKey(code, number))
	if err != nil {
		return ledger.Bill{}, v, err
	}
	b, v, err := c.billAt(ctx, lb, string(id))
	if err == nil && (b.Code != code || b.Number != number) {
		return ledger.Bill{}, v, fmt.Errorf("%w: index %s/%s names bill %q, which is %s/%s", ErrVerification, code, number, id, b.Code, b.Number)
	}
	return b, v, err
}

func (c *Client) billAt(ctx context.Context, lb *types.LightBlock, id string) (ledger.Bill, Verified, error) {
	b, v, err := decodeAt(ctx, c, lb, ledger.BillKey(id), ledger.DecodeBill)
	if err == nil && b.ID != id {
		return ledger.Bill{}, v, fmt.Errorf("%w: record under bill %q has id %q", ErrVerification, id, b.ID)
	}
	return b, v, err
}

// Payload returns the encrypted payload of revision rev of a bill.
func (c *Client) Payload(ctx context.Context, id string, rev uint32) ([]byte, Verified, error) {
	return c.Get(ctx, ledger.PayloadKey(id, rev))
}

// Account returns the account of the holder of pub.
func (c *Client) Account(ctx context.Context, pub ed25519.PublicKey) (ledger.Account, Verified, error) {
	return decode(ctx, c, ledger.AccountKey(pub), ledger.DecodeAccount)
}

// Org returns the hospital or bureau with this id.
func (c *Client) Org(ctx context.Context, id string) (ledger.Org, Verified, error) {
	return decode(ctx, c, ledger.OrgKey(id), ledger.DecodeOrg)
}

// Segment returns org's number segment for a bill code.
func (c *Client) Segment(ctx context.Context, org, code string) (ledger.Segment, Verified, error) {
	return decode(ctx, c, ledger.SegmentKey(org, code), ledger.DecodeSegment)
}

// Grant returns the grant of org's key of this epoch to member.
func (c *Client) Grant(ctx context.Context, org string, member ed25519.PublicKey, epoch uint32) (ledger.Grant, Verified, error) {
	return decode(ctx, c, ledger.GrantKey(org, member, epoch), ledger.DecodeGrant)
}

func decode[T any](ctx context.Context, c *Client, key []byte, dec func([]byte) (T, error)) (T, Verified, error) {
	lb, err := c.latest(ctx)
	if err != nil {
		var zero T
		return zero, Verified{}, err
	}
	return decodeAt(ctx, c, lb, key, dec)
}

func decodeAt[T any](ctx context.Context, c *Client, lb *types.LightBlock, key []byte, dec func([]byte) (T, error)) (T, Verified, error) {
	var zero T
	raw, v, err := c.getAt(ctx, lb, key)
	if err != nil {
		return zero, v, err
	}
	x, err := dec(raw)
	if err != nil {
		return zero, v, fmt.Errorf("%w: proven record under %q does not decode: %w", ErrVerification, key, err)
	}
	return x, v, nil
}
