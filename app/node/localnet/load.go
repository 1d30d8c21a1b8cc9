package localnet

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"sync/atomic"
	"time"

	"ebill/app/bill"
	"ebill/app/ledger"
	"ebill/app/node"
	"ebill/app/wire"
	"ebill/wallet"
)

// Signer signs ledger transactions for one identity, counting its sequence. It is safe for
// concurrent use; transactions may reach the ledger out of order within the ledger's
// sequence window.
type Signer struct {
	ChainID string
	ID      *wallet.Identity
	seq     atomic.Uint64
}

// NewSigner signs for id on chain chainID, starting after sequence last.
func NewSigner(chainID string, id *wallet.Identity, last uint64) *Signer {
	s := &Signer{ChainID: chainID, ID: id}
	s.seq.Store(last)
	return s
}

// Tx signs msg with the next sequence.
func (s *Signer) Tx(msg wire.Msg) ([]byte, error) {
	return wire.NewTx(s.ChainID, s.ID, s.seq.Add(1), msg)
}

// Submit is the first revision of a bill submitted by s's cashier for org, with a random
// payload of payloadSize bytes standing in for the sealed envelope (the ledger never opens
// it) and the payload's hash standing in for its commitment.
func (s *Signer) Submit(org, code, serial string, payloadSize int) *wire.SubmitBill {
	payload := make([]byte, payloadSize)
	rand.Read(payload)
	created := time.Now().UTC().Truncate(time.Minute)
	m := &wire.SubmitBill{
		Kind: bill.Outpatient, Org: org, Serial: serial, Code: code, Total: 12345,
		Created: created, Revision: 1, Commitment: sha256.Sum256(payload), Payload: payload,
	}
	d := m.Digest(s.ChainID)
	m.Signature = s.ID.Sign(d[:])
	return m
}

// Approve is the approval of the submitted bill sub by s's clerk.
func (s *Signer) Approve(sub *wire.SubmitBill) *wire.Approve {
	d := sub.Digest(s.ChainID)
	c := bill.CountersignDigest(d)
	return &wire.Approve{ID: sub.ID(), Revision: sub.Revision, Digest: d, Countersig: s.ID.Sign(c[:])}
}

// DemoGenesis is the demo network's genesis and identities with n more cashiers of the
// demo hospital (name-0, name-1, …): one key per concurrent sender, so that no two
// contend for one sequence window.
func DemoGenesis(n int, name string) (ledger.Genesis, node.DemoIdentities, []*wallet.Identity, error) {
	ids, err := node.NewDemoIdentities()
	if err != nil {
		return ledger.Genesis{}, ids, nil, err
	}
	g, err := node.DemoGenesis(ids)
	if err != nil {
		return g, ids, nil, err
	}
	cashiers := make([]*wallet.Identity, n)
	for i := range cashiers {
		if cashiers[i], err = wallet.NewIdentity(fmt.Sprintf("%s-%d", name, i)); err != nil {
			return g, ids, nil, err
		}
		p := cashiers[i].Public()
		g.Accounts = append(g.Accounts, ledger.GenesisAccount{Pub: ledger.HexBytes(p.SignKey), EncKey: p.KEMKey,
			Name: fmt.Sprintf("收费员%d", i), Role: wire.RoleCashier, Org: node.DemoHospital})
	}
	return g, ids, cashiers, nil
}
