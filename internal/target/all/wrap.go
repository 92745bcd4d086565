package all

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/limit"
	"github.com/plinth-storage/plinth/internal/target/metrics"
	"github.com/plinth-storage/plinth/internal/target/retry"
)

// Wrap composes the decorators every opened target gets, innermost first:
//
//  1. metrics, next to the driver, so every real request (each retry
//     attempt included) is counted and timed; skipped when reg is nil;
//  2. limit, capping concurrent driver calls at Properties().Connections,
//     inside retry so a call waiting out its backoff holds no slot;
//  3. retry, outermost, retrying transient errors with backoff.
//
// Each layer implements Unwrap. Wrap panics only if reg already holds
// different metrics under plinth's metric names, a programming error.
func Wrap(t target.Target, reg prometheus.Registerer) target.Target {
	if reg != nil {
		m, err := metrics.Wrap(t, reg)
		if err != nil {
			panic(fmt.Sprintf("all.Wrap: %v", err))
		}
		t = m
	}
	t = limit.Wrap(t, 0)
	return retry.Wrap(t, retry.Options{})
}
