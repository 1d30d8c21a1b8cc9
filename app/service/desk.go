package service

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"ebill/app/bill"
	"ebill/app/wire"
	"ebill/lightclient"
	"ebill/wallet"
)

// Account is who a Desk acts as, as the ledger registers it.
type Account struct {
	Name    string // the person's name on the ledger
	Address string // wallet.Address of the signing key
	Role    wire.Role
	Org     string
	OrgName string
	// OrgCredit is the org's 统一社会信用代码, which a hospital's bills carry as the payee's.
	OrgCredit string
	Bureau    string // for a hospital member: the bureau that reviews the org's bills
}

// Desk is one identity at work on a Network. Its methods are safe for concurrent use.
type Desk struct {
	net  *Network
	id   *wallet.Identity
	acct Account
	// seq is the last sequence this desk used: read once from the verified account, then
	// counted here, so concurrent transactions never wait for each other's commits.
	seq atomic.Uint64

	mu     sync.Mutex
	keys   []*wallet.OrgKey    // every epoch of the org's key granted to this identity
	alarm  error               // grants whose key is not the org's on the ledger; wraps ErrKeyMismatch
	orgs   map[string]wire.Org // orgs read so far; name, credit code and bureau never change
	seen   map[[32]byte]string // review fingerprints → the bill that had it
	opened map[[32]byte]opened // bills sealed or opened, by commitment; see remember
	envs   map[[32]byte][]byte // envelopes by their SHA-256; see envelope
}

// As makes a Desk for id: it reads id's account by a verified read and unwraps the keys of
// its org that it holds grants for. An identity without an account is ErrNotFound.
func (n *Network) As(ctx context.Context, id *wallet.Identity) (*Desk, error) {
	a, err := n.account(ctx, id.PublicKey())
	if err != nil {
		return nil, fmt.Errorf("account of %q on %s: %w", id.Name(), n.ChainID(), err)
	}
	o, err := n.org(ctx, a.Org)
	if err != nil {
		return nil, fmt.Errorf("identity %q: %w", id.Name(), err)
	}
	d := &Desk{
		net: n, id: id,
		acct: Account{Name: a.Name, Address: wallet.Address(id.PublicKey()), Role: a.Role,
			Org: a.Org, OrgName: o.Name, OrgCredit: o.CreditCode, Bureau: o.Bureau},
		orgs:   map[string]wire.Org{o.ID: o},
		seen:   map[[32]byte]string{},
		opened: map[[32]byte]opened{},
		envs:   map[[32]byte][]byte{},
	}
	d.seq.Store(a.Seq)
	if err := d.loadKeys(ctx, o); err != nil {
		return nil, fmt.Errorf("keys of %q: %w", id.Name(), err)
	}
	return d, nil
}

// Account says who the desk acts as.
func (d *Desk) Account() Account { return d.acct }

// Network is the network the desk works on.
func (d *Desk) Network() *Network { return d.net }

// call runs one read of the light node, bounded by the step timeout, with its errors
// mapped onto the service's.
func call[T any](ctx context.Context, n *Network, get func(context.Context) (T, lightclient.Verified, error)) (T, lightclient.Verified, error) {
	ctx, cancel := context.WithTimeout(ctx, n.timeout)
	defer cancel()
	x, v, err := get(ctx)
	return x, v, lightErr(err)
}

func (n *Network) account(ctx context.Context, pub ed25519.PublicKey) (wire.Account, error) {
	a, _, err := call(ctx, n, func(ctx context.Context) (wire.Account, lightclient.Verified, error) { return n.lc.Account(ctx, pub) })
	return a, err
}

func (n *Network) org(ctx context.Context, id string) (wire.Org, error) {
	o, _, err := call(ctx, n, func(ctx context.Context) (wire.Org, lightclient.Verified, error) { return n.lc.Org(ctx, id) })
	if err != nil {
		return o, fmt.Errorf("org %q: %w", id, err)
	}
	return o, nil
}

// loadKeys unwraps every epoch of o's key granted to the desk's identity and keeps those
// whose public half is the one the ledger holds for that epoch. A grant is written by a
// colleague; one who wraps a key of their own (or garbage) raises the alarm instead of
// giving this desk a key nobody else reads with.
func (d *Desk) loadKeys(ctx context.Context, o wire.Org) error {
	var keys []*wallet.OrgKey
	var alarms []error
	for epoch := uint32(1); epoch <= o.KeyEpoch; epoch++ {
		g, _, err := call(ctx, d.net, func(ctx context.Context) (wire.Grant, lightclient.Verified, error) {
			return d.net.lc.Grant(ctx, o.ID, d.id.PublicKey(), epoch)
		})
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		want := o.EncKey
		if epoch != o.KeyEpoch {
			raw, _, err := call(ctx, d.net, func(ctx context.Context) ([]byte, lightclient.Verified, error) {
				return d.net.lc.Get(ctx, wire.EpochKey(o.ID, epoch))
			})
			if err != nil {
				return fmt.Errorf("key epoch %d of org %q: %w", epoch, o.ID, err)
			}
			e, err := wire.DecodeEpoch(raw)
			if err != nil {
				return fmt.Errorf("%w: key epoch %d of org %q: %w", ErrVerification, epoch, o.ID, err)
			}
			want = e.EncKey
		}
		k, err := d.id.Unwrap(g.Wrapped)
		switch {
		case err != nil:
			alarms = append(alarms, fmt.Errorf("%w: the grant of org %q epoch %d by %s does not open: %w", ErrKeyMismatch, o.ID, epoch, wallet.Address(g.By), err))
		case !bytes.Equal(k.KEMPublic(), want):
			alarms = append(alarms, fmt.Errorf("%w: the grant of org %q epoch %d by %s holds %v, not the org's key on the ledger", ErrKeyMismatch, o.ID, epoch, wallet.Address(g.By), k))
		default:
			keys = append(keys, k)
		}
	}
	d.mu.Lock()
	d.keys, d.alarm = keys, errors.Join(alarms...)
	d.mu.Unlock()
	return nil
}

// KeyAlarm reports the grants to this identity whose key is not the org's on the ledger
// (wrapping ErrKeyMismatch), or nil. The desk works with the keys that check out; the cure
// is a rotation by an honest holder of the org's key.
func (d *Desk) KeyAlarm() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.alarm
}

// key returns the org key that env is sealed to, reloading the grants once when none of
// those held is: the key may have been rotated since the desk opened.
func (d *Desk) key(ctx context.Context, env *wallet.Envelope) (*wallet.OrgKey, error) {
	for reloaded := false; ; reloaded = true {
		d.mu.Lock()
		keys := d.keys
		d.mu.Unlock()
		for _, k := range keys {
			if env.SealedTo(k.KEMPublic()) {
				return k, nil
			}
		}
		if reloaded {
			if alarm := d.KeyAlarm(); alarm != nil {
				return nil, fmt.Errorf("%s holds no key of org %q that opens it: %w", d.acct.Name, d.acct.Org, alarm)
			}
			return nil, fmt.Errorf("%w: %s holds no key of org %q that opens it", ErrNotReader, d.acct.Name, d.acct.Org)
		}
		o, err := d.net.org(ctx, d.acct.Org)
		if err != nil {
			return nil, err
		}
		if err := d.loadKeys(ctx, o); err != nil {
			return nil, err
		}
	}
}

// orgOf reads org once: its name, credit code and bureau are fixed at registration.
func (d *Desk) orgOf(ctx context.Context, id string) (wire.Org, error) {
	d.mu.Lock()
	o, ok := d.orgs[id]
	d.mu.Unlock()
	if ok {
		return o, nil
	}
	o, err := d.net.org(ctx, id)
	if err != nil {
		return o, err
	}
	d.mu.Lock()
	d.orgs[id] = o
	d.mu.Unlock()
	return o, nil
}

// bureauOf is the bureau that reviews org's bills.
func (d *Desk) bureauOf(ctx context.Context, org string) (string, error) {
	o, err := d.orgOf(ctx, org)
	return o.Bureau, err
}

// View is a bill as the desk may see it, proven against a verified header.
type View struct {
	ID string
	// Bill is the decrypted bill with the ledger's number, check code and issue time merged
	// in; nil when the identity may not read it.
	Bill *bill.Issued
	// Record is the ledger's record: status, signatures and the current revision's events.
	Record wire.BillRecord
	// Timeline is every event of the bill, oldest first: those of earlier revisions (read
	// with proofs in the state Record was proven in) and then Record.Events.
	Timeline []wire.Event
	// Verified is where the record was proven: height, app hash, share of voting power.
	Verified lightclient.Verified
	// Existed is set by Submit when the ledger already held this same bill, from an earlier
	// submission (another bill under its org and serial is ErrConflict).
	Existed bool
	// Reason is the latest reason the bill was withdrawn, rejected or reversed with, and
	// Notes the reason of each of Timeline ("" for none), as the bill's orgs read them.
	Reason string
	Notes  []string

	seed  [seedSize]byte        // of the opened payload's commitment, for the proof bundle
	first [32]byte              // the SHA-256 of the first revision's envelope, whose note key seals reasons
	at    *lightclient.Snapshot // the state Record was proven in; the payload is read there
}

// Serial is the bill's business serial when the desk opened it, else its ledger id: the
// ledger holds only the serial's tag, which says nothing to a person.
func (v *View) Serial() string {
	if v.Bill != nil {
		return v.Bill.Serial
	}
	return v.ID
}

// Fetch reads the bill with this id, decrypting it when the identity may.
func (d *Desk) Fetch(ctx context.Context, id string) (*View, error) {
	v, err := d.view(ctx, id)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// FetchNumber reads the issued bill with this bill code and number: the index, the record
// and its payload all proven against one header.
func (d *Desk) FetchNumber(ctx context.Context, code, number string) (*View, error) {
	st, err := d.net.latest(ctx)
	if err != nil {
		return nil, fmt.Errorf("bill %s %s: %w", code, number, err)
	}
	rec, ver, err := call(ctx, d.net, func(ctx context.Context) (wire.BillRecord, lightclient.Verified, error) {
		return st.BillByNumber(ctx, code, number)
	})
	if err != nil {
		return nil, fmt.Errorf("bill %s %s: %w", code, number, err)
	}
	v, err := d.proven(ctx, st, rec, ver)
	if err != nil {
		return nil, err
	}
	if err := d.open(ctx, v); err != nil {
		return v, fmt.Errorf("bill %q: %w", v.ID, err)
	}
	return v, nil
}

// FetchSerial reads the bill of org with this business serial. Only members of org can:
// the ledger knows a bill by its serial's tag, which only their org key makes.
func (d *Desk) FetchSerial(ctx context.Context, org, serial string) (*View, error) {
	if org != d.acct.Org {
		return nil, fmt.Errorf("bill of %q with serial %q: %w: only members of %q find its bills by serial", org, serial, ErrNotReader, org)
	}
	id, _, err := d.serialID(serial)
	if err != nil {
		return nil, err
	}
	return d.Fetch(ctx, id)
}

// BillID is the ledger id of the bill of the desk's org with this business serial, before
// or after it is submitted: a HIS matches its serials to ledger ids with it.
func (d *Desk) BillID(serial string) (string, error) {
	id, _, err := d.serialID(serial)
	return id, err
}

// serialID is the ledger id of the bill of the desk's org with this business serial, and
// the serial's tag that stands for the serial on the ledger (wallet.OrgKey.SerialTag, in
// hex). Every epoch of an org key carries the same serial secret; the lowest epoch the
// desk holds is used, so a later hostile rotation cannot change the tags of a desk that
// holds an earlier one.
func (d *Desk) serialID(serial string) (id, tag string, err error) {
	d.mu.Lock()
	keys := d.keys
	d.mu.Unlock()
	if len(keys) == 0 {
		return "", "", fmt.Errorf("serial %q: %w: %s holds no key of org %q, which makes the serial's tag", serial, ErrNotReader, d.acct.Name, d.acct.Org)
	}
	t := keys[0].SerialTag(serial)
	tag = hex.EncodeToString(t[:])
	return bill.ID(d.acct.Org, tag), tag, nil
}

// record is a verified read of a bill's ledger record in the latest verified state; the
// View keeps that state, so that opening it reads the payload at the same height.
func (d *Desk) record(ctx context.Context, id string) (*View, error) {
	st, err := d.net.latest(ctx)
	if err != nil {
		return nil, fmt.Errorf("bill %q: %w", id, err)
	}
	rec, ver, err := call(ctx, d.net, func(ctx context.Context) (wire.BillRecord, lightclient.Verified, error) {
		return st.Bill(ctx, id)
	})
	if err != nil {
		return nil, fmt.Errorf("bill %q: %w", id, err)
	}
	return d.proven(ctx, st, rec, ver)
}

// proven is the View of rec, proven in st, with its whole timeline: the History of each
// earlier revision, read with proofs in st too.
func (d *Desk) proven(ctx context.Context, st *lightclient.Snapshot, rec wire.BillRecord, ver lightclient.Verified) (*View, error) {
	v := &View{ID: rec.ID, Record: rec, Verified: ver, at: st, first: rec.Payload}
	for r := uint32(1); r < rec.Revision; r++ {
		raw, _, err := call(ctx, d.net, func(ctx context.Context) ([]byte, lightclient.Verified, error) {
			return st.Get(ctx, wire.HistoryKey(rec.ID, r))
		})
		if err != nil {
			return nil, fmt.Errorf("bill %q: revision %d: %w", rec.ID, r, err)
		}
		h, err := wire.DecodeHistory(raw)
		if err != nil || h.ID != rec.ID || h.Revision != r {
			return nil, fmt.Errorf("%w: bill %q: history of revision %d: %v", ErrVerification, rec.ID, r, err)
		}
		v.Timeline = append(v.Timeline, h.Events...)
		if r == 1 {
			v.first = h.Payload
		}
	}
	v.Timeline = append(v.Timeline, rec.Events...)
	return v, nil
}

// view reads the record of bill id and opens its payload. When the identity may not read
// it, the error wraps ErrNotReader and the View, without Bill, is returned too.
func (d *Desk) view(ctx context.Context, id string) (*View, error) {
	v, err := d.record(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := d.open(ctx, v); err != nil {
		return v, fmt.Errorf("bill %q: %w", id, err)
	}
	return v, nil
}

// open decrypts v's payload into v.Bill and checks it against the record's commitment.
func (d *Desk) open(ctx context.Context, v *View) error {
	rec := &v.Record
	if rec.Org != d.acct.Org {
		bureau, err := d.bureauOf(ctx, rec.Org)
		if err != nil {
			return err
		}
		if bureau != d.acct.Org {
			return fmt.Errorf("%w: %s of %q may not read bills of %q", ErrNotReader, d.acct.Role, d.acct.Org, rec.Org)
		}
	}
	o, err := d.payload(ctx, v.at, rec)
	if err != nil {
		return err
	}
	v.Bill, v.seed = issued(o.bill, rec), o.seed
	return d.openNotes(ctx, v)
}

// envelope returns the envelope of bill id whose SHA-256 is h, as a proven record or
// history names it. A payload never changes, so one fetch serves the desk from then on.
func (d *Desk) envelope(ctx context.Context, id string, h [32]byte) (*wallet.Envelope, error) {
	d.mu.Lock()
	raw, ok := d.envs[h]
	d.mu.Unlock()
	if !ok {
		var err error
		raw, _, err = call(ctx, d.net, func(ctx context.Context) ([]byte, lightclient.Verified, error) {
			p, err := d.net.lc.Payload(ctx, h)
			return p, lightclient.Verified{}, err
		})
		if err != nil {
			return nil, fmt.Errorf("payload of bill %s: %w", id, err)
		}
	}
	env, err := wallet.ParseEnvelope(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: payload of bill %s is not an envelope: %w", ErrVerification, id, err)
	}
	if !ok {
		d.mu.Lock()
		if len(d.envs) >= maxOpened {
			clear(d.envs)
		}
		d.envs[h] = raw
		d.mu.Unlock()
	}
	return env, nil
}

// issued is b with what the ledger assigned to it, as rec records.
func issued(b *bill.Bill, rec *wire.BillRecord) *bill.Issued {
	return &bill.Issued{Bill: *b, ID: rec.ID, Number: rec.Number, CheckCode: rec.CheckCode, IssuedAt: rec.IssuedAt}
}

// opened is a bill this desk sealed or opened, decoded once, with the seed of its
// commitment. Its fields are shared by the Views that show it and never changed.
type opened struct {
	seed [seedSize]byte
	bill *bill.Bill
}

// payload returns the bill of rec's current revision, checked against rec's commitment:
// from the cache when this desk sealed or opened it before, else read with a proof,
// decrypted and decoded.
func (d *Desk) payload(ctx context.Context, st *lightclient.Snapshot, rec *wire.BillRecord) (opened, error) {
	d.mu.Lock()
	o, ok := d.opened[rec.Commitment]
	d.mu.Unlock()
	if ok {
		return o, nil
	}
	env, err := d.envelope(ctx, rec.ID, rec.Payload)
	if err != nil {
		return o, err
	}
	k, err := d.key(ctx, env)
	if err != nil {
		return o, err
	}
	data, err := env.Open(wallet.AAD(d.net.ChainID(), rec.ID), k)
	if err != nil {
		return o, fmt.Errorf("%w: payload does not open: %w", ErrVerification, err)
	}
	if len(data) < seedSize {
		return o, fmt.Errorf("%w: payload of %d bytes has no seed", ErrVerification, len(data))
	}
	o.seed = [seedSize]byte(data[:seedSize])
	if o.bill, err = bill.Unmarshal(data[seedSize:]); err != nil {
		return o, fmt.Errorf("%w: the payload is not a bill: %w", ErrVerification, err)
	}
	if o.bill.Commit(o.seed) != rec.Commitment {
		return o, fmt.Errorf("%w: payload does not match the commitment on the ledger", ErrVerification)
	}
	d.remember(rec.Commitment, o)
	return o, nil
}

// maxOpened bounds the cache of opened bills: a batch of a thousand bills fits.
const maxOpened = 2048

// remember caches a bill under its commitment, so that each bill is decoded at most once
// by a desk: a payload never changes, and a bill is read back after every transition; the
// commitment in each proven record still decides whether the cached bill is the bill's.
// Bills sealed after a key rotation have new commitments, so the cache never lets a
// revoked member read them.
func (d *Desk) remember(commitment [32]byte, o opened) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.opened) >= maxOpened {
		clear(d.opened)
	}
	d.opened[commitment] = o
}

// seedSize is the length of the random seed that starts every payload: the envelope holds
// seed ‖ bill.Marshal(), and the commitment is Bill.Commit(seed), whose salts come from it.
const seedSize = 32

// txHash is CometBFT's hash of a transaction.
func txHash(tx []byte) [32]byte { return sha256.Sum256(tx) }
