package runner

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Reconcile results as counted by Metrics.
const (
	ResultOK        = "ok"        // succeeded, nothing scheduled
	ResultRequeue   = "requeue"   // succeeded and asked to run again later (RequeueAfter)
	ResultError     = "error"     // failed; retried with backoff
	ResultPermanent = "permanent" // failed with ErrPermanent; not retried
)

// Metrics counts reconciles per controller and result, as
// plinth_reconciles_total{controller,result}. An idle daemon's rate of it
// must stay flat: a rising rate means some work wakes itself up.
type Metrics struct {
	reconciles *prometheus.CounterVec
}

// NewMetrics registers plinth_reconciles_total on reg. It fails if the
// metric is already registered there (register once per registry).
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{reconciles: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "plinth_reconciles_total",
		Help: "Reconciles run, by controller and result (ok, requeue, error, permanent).",
	}, []string{"controller", "result"})}
	if err := reg.Register(m.reconciles); err != nil {
		return nil, fmt.Errorf("registering reconcile metrics: %w", err)
	}
	return m, nil
}

// Instrument makes each runner count its reconciles in m, and exposes
// every result of each at 0 from the start. Call it before the runners
// Run; a nil m leaves them uncounted.
func (m *Metrics) Instrument(runners ...*Runner) {
	if m == nil {
		return
	}
	for _, r := range runners {
		for _, res := range []string{ResultOK, ResultRequeue, ResultError, ResultPermanent} {
			m.reconciles.WithLabelValues(r.name, res)
		}
		r.metrics.Store(m)
	}
}

// count records one reconcile of runner name with its outcome.
func (m *Metrics) count(name string, res Result, err error) {
	if m == nil {
		return
	}
	m.reconciles.WithLabelValues(name, resultLabel(res, err)).Inc()
}

func resultLabel(res Result, err error) string {
	switch {
	case err == nil && res.RequeueAfter > 0:
		return ResultRequeue
	case err == nil:
		return ResultOK
	case errors.Is(err, ErrPermanent):
		return ResultPermanent
	}
	return ResultError
}
