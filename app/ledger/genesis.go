package ledger

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"ebill/app/wire"
)

// HexBytes is a byte string written as lowercase hex in JSON.
type HexBytes []byte

func (h HexBytes) MarshalText() ([]byte, error) { return []byte(hex.EncodeToString(h)), nil }

func (h *HexBytes) UnmarshalText(b []byte) error {
	v, err := hex.DecodeString(string(b))
	if err != nil {
		return fmt.Errorf("hex %q: %w", b, err)
	}
	*h = v
	return nil
}

// Genesis is the initial state: the JSON of the CometBFT genesis app_state. It is applied
// as if sent in this order: RegisterOrg for every org (bureaus before the hospitals that
// name them), RegisterAccount for every account, BindCode for every code, GrantOrgKey
// (epoch 1) for every grant and AllocateSegment for every segment, through the same rules
// as those transactions except who sends them: the genesis is the founding orgs' document.
// An account with the admin's key places the admin in an org and names it.
type Genesis struct {
	Admin    HexBytes         `json:"admin"`
	Orgs     []GenesisOrg     `json:"orgs"`
	Accounts []GenesisAccount `json:"accounts"`
	Codes    []GenesisCode    `json:"codes,omitempty"`
	Grants   []GenesisGrant   `json:"grants,omitempty"`
	Segments []GenesisSegment `json:"segments,omitempty"`
}

// GenesisCode binds a bill code to a bureau.
type GenesisCode struct {
	Code   string `json:"code"`
	Bureau string `json:"bureau"`
}

type GenesisOrg struct {
	ID         string       `json:"id"`
	Name       string       `json:"name"`
	Kind       wire.OrgKind `json:"kind"`
	CreditCode string       `json:"credit_code,omitempty"`
	Bureau     string       `json:"bureau,omitempty"`
	EncKey     HexBytes     `json:"enc_key"`
}

type GenesisAccount struct {
	Pub    HexBytes  `json:"pub"`
	EncKey HexBytes  `json:"enc_key"`
	Name   string    `json:"name"`
	Role   wire.Role `json:"role"`
	Org    string    `json:"org"`
}

type GenesisGrant struct {
	Org     string   `json:"org"`
	Member  HexBytes `json:"member"`
	Wrapped HexBytes `json:"wrapped"`
}

type GenesisSegment struct {
	Org   string `json:"org"`
	Code  string `json:"code"`
	Start uint64 `json:"start"`
	End   uint64 `json:"end"`
}

// ParseGenesis decodes and validates an app_state.
func ParseGenesis(appState []byte) (*Genesis, error) {
	var g Genesis
	if err := json.Unmarshal(appState, &g); err != nil {
		return nil, fmt.Errorf("genesis app_state: %w", err)
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	return &g, nil
}

// Validate applies the genesis to an empty store and reports the first rule it breaks.
func (g *Genesis) Validate() error {
	_, err := g.apply(newOverlay(emptyStore{}), "validate")
	return err
}

type emptyStore struct{}

func (emptyStore) Get([]byte) ([]byte, error) { return nil, nil }

// msgs lists the genesis as the admin's messages.
func (g *Genesis) msgs() []wire.Msg {
	var ms []wire.Msg
	// Bureaus first: a hospital names its bureau, which must exist.
	for _, pass := range []wire.OrgKind{wire.OrgBureau, wire.OrgHospital} {
		for _, o := range g.Orgs {
			if o.Kind == pass || (pass == wire.OrgHospital && o.Kind != wire.OrgBureau) {
				ms = append(ms, &wire.RegisterOrg{ID: o.ID, Name: o.Name, Kind: o.Kind, CreditCode: o.CreditCode, Bureau: o.Bureau, EncKey: o.EncKey})
			}
		}
	}
	for _, a := range g.Accounts {
		if !ed25519.PublicKey(a.Pub).Equal(ed25519.PublicKey(g.Admin)) {
			ms = append(ms, &wire.RegisterAccount{Pub: ed25519.PublicKey(a.Pub), EncKey: a.EncKey, Name: a.Name, Role: a.Role, Org: a.Org})
		}
	}
	for _, c := range g.Codes {
		ms = append(ms, &wire.BindCode{Code: c.Code, Bureau: c.Bureau})
	}
	for _, gr := range g.Grants {
		ms = append(ms, &wire.GrantOrgKey{Org: gr.Org, Member: ed25519.PublicKey(gr.Member), Epoch: 1, Wrapped: gr.Wrapped})
	}
	for _, s := range g.Segments {
		ms = append(ms, &wire.AllocateSegment{Org: s.Org, Code: s.Code, Start: s.Start, End: s.End})
	}
	return ms
}

// apply writes the genesis state into st: the admin account, then every message. The admin
// account has no org unless the accounts list places it in one.
func (g *Genesis) apply(st *overlay, chainID string) (*exec, error) {
	if len(g.Admin) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("genesis admin: %d bytes, want %d", len(g.Admin), ed25519.PublicKeySize)
	}
	admin, err := g.admin()
	if err != nil {
		return nil, err
	}
	x := &exec{st: st, chainID: chainID, time: time.Unix(0, 0).UTC(), signer: admin, genesis: true}
	x.putAccount(&admin)
	for i, m := range g.msgs() {
		if err := m.Validate(); err != nil {
			return nil, fmt.Errorf("genesis %s %d: %w", m.Type(), i, err)
		}
		if err := x.apply(m); err != nil {
			return nil, fmt.Errorf("genesis %s %d: %w", m.Type(), i, err)
		}
	}
	if admin.Org != "" {
		if _, err := x.org(admin.Org); err != nil {
			return nil, fmt.Errorf("genesis admin account: %w", err)
		}
	}
	return x, nil
}

// admin is the admin's account: as the accounts list gives it, or unnamed and of no org.
func (g *Genesis) admin() (wire.Account, error) {
	admin := wire.Account{Pub: ed25519.PublicKey(g.Admin), Name: "admin", Role: wire.RoleAdmin}
	for _, a := range g.Accounts {
		if !ed25519.PublicKey(a.Pub).Equal(admin.Pub) {
			continue
		}
		if a.Role != wire.RoleAdmin {
			return admin, fmt.Errorf("genesis account %q: the admin's key has role %s, want admin", a.Name, a.Role)
		}
		m := wire.RegisterAccount{Pub: admin.Pub, EncKey: a.EncKey, Name: a.Name, Role: wire.RoleAdmin, Org: a.Org}
		if err := m.Validate(); err != nil {
			return admin, fmt.Errorf("genesis admin account: %w", err)
		}
		admin.EncKey, admin.Name, admin.Org = a.EncKey, a.Name, a.Org
	}
	return admin, nil
}
