package ledger

import (
	"fmt"
	"slices"

	"ebill/app/wire"
)

// authority says which roles may send each message. It is the one place this is decided:
// execute consults it right after reading the signer's own account and before anything
// else is loaded, so a role that may never send a message costs one read. What an allowed
// role may do to which org's records (its own bills, its bureau's hospitals, codes bound to
// its bureau) is checked by the message's handler. docs/SECURITY.md has the table with the
// org rules; the org-admin role of issue 16 takes grant and rotate from finance and cashier.
var authority = [...][]wire.Role{
	wire.MsgRegisterOrg:     {wire.RoleAdmin},
	wire.MsgRegisterAccount: {wire.RoleAdmin},
	wire.MsgBindCode:        {wire.RoleAdmin},
	wire.MsgGrantOrgKey:     {wire.RoleFinance, wire.RoleCashier},
	wire.MsgRotateOrgKey:    {wire.RoleFinance, wire.RoleCashier},
	wire.MsgAllocateSegment: {wire.RoleFinance},
	wire.MsgSubmitBill:      {wire.RoleCashier},
	wire.MsgWithdraw:        {wire.RoleCashier},
	wire.MsgIssue:           {wire.RoleCashier},
	wire.MsgReverse:         {wire.RoleCashier},
	wire.MsgApprove:         {wire.RoleFinance},
	wire.MsgReject:          {wire.RoleFinance},
}

// Authority lists the roles that may send messages of type t; none for an unknown type.
func Authority(t wire.MsgType) []wire.Role {
	if int(t) < len(authority) {
		return slices.Clone(authority[t])
	}
	return nil
}

// mayRole refuses a signer whose role may not send t.
func mayRole(a *wire.Account, t wire.MsgType) error {
	if int(t) < len(authority) && slices.Contains(authority[t], a.Role) {
		return nil
	}
	return wire.Refuse(wire.CodeWrongRole, "signer %s (%s) is %s; %s needs %v", short(a.Pub), a.Name, a.Role, t, fmt.Sprint(Authority(t)))
}
