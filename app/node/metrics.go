package node

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"ebill/app/wire"
)

// ledgerMetrics counts what the ledger does, next to CometBFT's own metrics on the same
// Prometheus registry:
//
//	ebill_bills_submitted_total   submissions and resubmissions committed
//	ebill_bills_issued_total      bills given a number (red bills included)
//	ebill_bills_rejected_total    bills the bureau rejected in review
//	ebill_txs_total{msg,code}     every transaction of every block, by message and result
type ledgerMetrics struct {
	submitted, issued, rejected prometheus.Counter
	txs                         *prometheus.CounterVec
}

func newLedgerMetrics(reg prometheus.Registerer) (*ledgerMetrics, error) {
	counter := func(name, help string) (prometheus.Counter, error) {
		return register(reg, prometheus.NewCounter(prometheus.CounterOpts{Namespace: "ebill", Name: name, Help: help}))
	}
	var m ledgerMetrics
	var errs [4]error
	m.submitted, errs[0] = counter("bills_submitted_total", "Bill submissions and resubmissions committed.")
	m.issued, errs[1] = counter("bills_issued_total", "Bills issued with a number, red bills included.")
	m.rejected, errs[2] = counter("bills_rejected_total", "Bills rejected in the bureau's review.")
	m.txs, errs[3] = register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "ebill", Name: "txs_total",
		Help: "Transactions in committed blocks by message type and result code."}, []string{"msg", "code"}))
	if err := errors.Join(errs[:]...); err != nil {
		return nil, fmt.Errorf("register ledger metrics: %w", err)
	}
	return &m, nil
}

// register registers c, or returns the collector of the same name registered by an earlier
// node of this process, which then keeps counting.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, err
}

func (m *ledgerMetrics) TxResult(msg wire.MsgType, code wire.Code) {
	m.txs.WithLabelValues(msg.String(), code.String()).Inc()
}

func (m *ledgerMetrics) BillEvent(t wire.EventType) {
	switch t {
	case wire.EventSubmitted, wire.EventResubmitted:
		m.submitted.Inc()
	case wire.EventIssued, wire.EventRedIssued:
		m.issued.Inc()
	case wire.EventRejected:
		m.rejected.Inc()
	}
}
