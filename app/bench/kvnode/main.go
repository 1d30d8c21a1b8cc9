// Command kvnode runs CometBFT's kvstore example app as a validator process in a node home
// written for the ledger (node.Testnet), with that home's config: the kvstore baseline of
// a multi-validator `ebillctl bench`, started by the bench and ended by a signal.
//
//	kvnode --home DIR
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"ebill/app/bench"
)

func main() {
	home := flag.String("home", "", "the node home")
	flag.Parse()
	if *home == "" {
		fmt.Fprintln(os.Stderr, "kvnode: --home is required")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := bench.RunKVStoreNode(ctx, *home); err != nil {
		fmt.Fprintln(os.Stderr, "kvnode:", err)
		os.Exit(1)
	}
}
