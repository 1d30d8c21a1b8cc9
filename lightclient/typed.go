package lightclient

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"

	rpcclient "github.com/cometbft/cometbft/rpc/client"

	"ebill/app/bill"
	"ebill/app/wire"
)

// The typed reads below prove their record with Get's procedure and only then decode it.
// A record that proves but does not decode, or does not match the key it was read under,
// is refused with ErrVerification: the ledger never writes one.

// Bill returns the bill with this id (bill.ID(org, serial)).
func (c *Client) Bill(ctx context.Context, id string) (wire.BillRecord, Verified, error) {
	s, err := c.Latest(ctx)
	if err != nil {
		return wire.BillRecord{}, Verified{}, err
	}
	return s.Bill(ctx, id)
}

// BillBySerial returns org's bill with this business serial (业务流水号).
func (c *Client) BillBySerial(ctx context.Context, org, serial string) (wire.BillRecord, Verified, error) {
	return c.Bill(ctx, bill.ID(org, serial))
}

// BillByNumber returns the issued bill with this bill code and number. The index entry and
// the bill are both proven, against the same header.
func (c *Client) BillByNumber(ctx context.Context, code, number string) (wire.BillRecord, Verified, error) {
	s, err := c.Latest(ctx)
	if err != nil {
		return wire.BillRecord{}, Verified{}, err
	}
	return s.BillByNumber(ctx, code, number)
}

// Bill is Client.Bill in this state.
func (s *Snapshot) Bill(ctx context.Context, id string) (wire.BillRecord, Verified, error) {
	b, v, err := decodeAt(ctx, s, wire.BillKey(id), wire.DecodeBillRecord)
	if err == nil && b.ID != id {
		return wire.BillRecord{}, v, fmt.Errorf("%w: record under bill %q has id %q", ErrVerification, id, b.ID)
	}
	return b, v, err
}

// BillByNumber is Client.BillByNumber in this state.
func (s *Snapshot) BillByNumber(ctx context.Context, code, number string) (wire.BillRecord, Verified, error) {
	id, v, err := s.Get(ctx, wire.NumberKey(code, number))
	if err != nil {
		return wire.BillRecord{}, v, err
	}
	b, v, err := s.Bill(ctx, string(id))
	if err == nil && (b.Code != code || b.Number != number) {
		return wire.BillRecord{}, v, fmt.Errorf("%w: index %s/%s names bill %q, which is %s/%s", ErrVerification, code, number, id, b.Code, b.Number)
	}
	return b, v, err
}

// Payload returns the encrypted payload whose SHA-256 is h, as a proven record names it
// (wire.BillRecord.Payload, wire.History.Payload): the bytes from the first node that
// holds them (wire.QueryPayload), checked against h.
func (c *Client) Payload(ctx context.Context, h [32]byte) ([]byte, error) {
	var payload []byte
	err := c.eachNode(ctx, func(ctx context.Context, rc rpcclient.Client) error {
		r, err := rc.ABCIQuery(ctx, wire.QueryPayload, h[:])
		switch {
		case err != nil:
			return err
		case r.Response.Code == uint32(wire.CodeNotFound):
			// A node that joined from a snapshot may not hold old payloads yet.
			return fmt.Errorf("%w: %s", errBehind, r.Response.Log)
		case r.Response.Code != 0:
			return fmt.Errorf("payload %x: code %d: %s", h, r.Response.Code, r.Response.Log)
		}
		if sha256.Sum256(r.Response.Value) != h {
			return fmt.Errorf("%w: the payload sent for %x does not hash to it", ErrVerification, h)
		}
		payload = r.Response.Value
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("payload %x: %w", h, err)
	}
	return payload, nil
}

// Account returns the account of the holder of pub.
func (c *Client) Account(ctx context.Context, pub ed25519.PublicKey) (wire.Account, Verified, error) {
	return decode(ctx, c, wire.AccountKey(pub), wire.DecodeAccount)
}

// Org returns the hospital or bureau with this id.
func (c *Client) Org(ctx context.Context, id string) (wire.Org, Verified, error) {
	return decode(ctx, c, wire.OrgKey(id), wire.DecodeOrg)
}

// Segment returns org's number segment for a bill code.
func (c *Client) Segment(ctx context.Context, org, code string) (wire.Segment, Verified, error) {
	return decode(ctx, c, wire.SegmentKey(org, code), wire.DecodeSegment)
}

// Grant returns the grant of org's key of this epoch to member.
func (c *Client) Grant(ctx context.Context, org string, member ed25519.PublicKey, epoch uint32) (wire.Grant, Verified, error) {
	return decode(ctx, c, wire.GrantKey(org, member, epoch), wire.DecodeGrant)
}

func decode[T any](ctx context.Context, c *Client, key []byte, dec func([]byte) (T, error)) (T, Verified, error) {
	s, err := c.Latest(ctx)
	if err != nil {
		var zero T
		return zero, Verified{}, err
	}
	return decodeAt(ctx, s, key, dec)
}

func decodeAt[T any](ctx context.Context, s *Snapshot, key []byte, dec func([]byte) (T, error)) (T, Verified, error) {
	var zero T
	raw, v, err := s.Get(ctx, key)
	if err != nil {
		return zero, v, err
	}
	x, err := dec(raw)
	if err != nil {
		return zero, v, fmt.Errorf("%w: proven record under %q does not decode: %w", ErrVerification, key, err)
	}
	return x, v, nil
}
