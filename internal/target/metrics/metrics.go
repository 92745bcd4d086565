// Package metrics is the target decorator that counts and times every call
// into the wrapped target as Prometheus metrics:
//
//	plinth_target_requests_total{driver,op,outcome}   counter
//	plinth_target_request_seconds{driver,op}          histogram
//
// outcome is "ok", "not-found", "transient", "permanent", or "aborted" when
// a List/Walk callback stopped the listing. Listing time excludes the time
// spent in the caller's callback.
package metrics

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/plinth-storage/plinth/internal/target"
)

// collectors are the metric vectors shared by every target wrapped on one
// registry.
type collectors struct {
	requests *prometheus.CounterVec
	seconds  *prometheus.HistogramVec
}

// register adds the vectors to reg, or reuses the ones already there from
// an earlier Wrap on the same registry.
func register(reg prometheus.Registerer) (*collectors, error) {
	c := &collectors{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "plinth_target_requests_total",
			Help: "Calls into backup target drivers, by driver, operation and outcome.",
		}, []string{"driver", "op", "outcome"}),
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "plinth_target_request_seconds",
			Help:    "Duration of calls into backup target drivers, by driver and operation.",
			Buckets: prometheus.ExponentialBuckets(0.001, 3, 11), // 1 ms .. ~59 s
		}, []string{"driver", "op"}),
	}
	var err error
	if c.requests, err = registerOrReuse(reg, c.requests); err != nil {
		return nil, err
	}
	if c.seconds, err = registerOrReuse(reg, c.seconds); err != nil {
		return nil, err
	}
	return c, nil
}

func registerOrReuse[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	var already prometheus.AlreadyRegisteredError
	if errors.As(err, &already) {
		if existing, ok := already.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, fmt.Errorf("register target metrics: %w", err)
}

// outcome is the requests_total label for a call's result.
func outcome(err error, aborted bool) string {
	switch {
	case err == nil:
		return "ok"
	case aborted:
		return "aborted"
	}
	return target.KindOf(err).String()
}
