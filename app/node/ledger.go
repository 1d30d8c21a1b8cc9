package node

import (
	"github.com/cometbft/cometbft/libs/log"
	"github.com/prometheus/client_golang/prometheus"

	"ebill/app/ledger"
)

func openLedger(dir string, opts Options, logger log.Logger) (*ledger.App, error) {
	lo := ledger.Options{Logger: logger, KeepVersions: ledger.DefaultKeepVersions, SnapshotInterval: ledger.DefaultSnapshotInterval}
	if opts.Archive {
		lo.KeepVersions = 0
	}
	if opts.MetricsAddr != "" {
		m, err := newLedgerMetrics(prometheus.DefaultRegisterer)
		if err != nil {
			return nil, err
		}
		lo.Metrics = m
	}
	return ledger.New(dir, lo)
}
