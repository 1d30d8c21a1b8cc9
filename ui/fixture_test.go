package ui

import (
	"ebill/app/service"
	"ebill/app/wire"
)

// testAccount is the demo hospital's cashier, for screens shown without a network.
func testAccount() service.Account {
	return service.Account{Name: "李静", Address: "eb1qexampleexampleexampleexample0", Role: wire.RoleCashier,
		Org: "H32010001", OrgName: "南京市第一人民医院", OrgCredit: "12320100466002534K", Bureau: "B32010001"}
}
