// Package node runs the ebill ledger: a CometBFT v1 validator with the ledger application
// in this process, and the files that describe a network of them.
//
// A home directory holds one validator. Create it once, then start and stop it as often
// as you like:
//
//	g, _ := node.DemoGenesis(ids)                      // or a bureau's ledger.Genesis
//	err := node.InitHome(home, node.DemoChainID, g, node.HomeOptions{})
//	n, err := node.Start(ctx, home, node.Options{})
//	defer n.Stop()
//	c, _ := rpchttp.New(n.RPCAddr())                   // http://127.0.0.1:port
//
// Blocks follow each other 300 ms apart while there are transactions, and an empty block
// comes at least every second, so the header that proves the latest state (the app hash of
// block H is in header H+1) is never far away. Blocks and states are never pruned: a desk
// that was offline for a month still verifies what it reads.
//
// Testnet writes the homes of an N-validator network on loopback; each is started the
// same way (ebilld start, one process each). The NetworkFile names a chain, a trusted
// header and the RPC addresses of a primary and its witnesses: it is what the finance
// bureau hands to desks and what a light node starts from. (*Node).NetworkFile makes one
// for a running node.
//
// Package localnet runs validators as processes on loopback and drives them (the bench,
// the chaos runs); package nodetest has what only the integration tests need.
package node
