package runner

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/plinth-storage/plinth/internal/testenv"
)

// TestMetricsCountEachResult checks that every reconcile is counted once,
// under its controller and result, and that all results are exposed at 0
// before any reconcile.
func TestMetricsCountEachResult(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewMetrics(reg); err == nil {
		t.Fatal("registering the metrics twice on one registry succeeded")
	}
	outcome := map[string]func() (Result, error){
		"ok":    func() (Result, error) { return Result{}, nil },
		"again": func() (Result, error) { return Result{RequeueAfter: time.Hour}, nil },
		"perm":  func() (Result, error) { return Result{}, fmt.Errorf("bad spec: %w", ErrPermanent) },
		"fail":  func() (Result, error) { return Result{}, errors.New("transient") },
	}
	r := New("demo", recFunc(func(ctx context.Context, key string) (Result, error) { return outcome[key]() }), quiet)
	m.Instrument(r)
	if n := len(gather(t, reg)); n != 4 {
		t.Fatalf("%d series before any reconcile, want 4 (one per result)", n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.Run(ctx, 2)
	for key := range outcome {
		r.Enqueue(key)
	}
	get := func(res string) float64 { return gather(t, reg)["demo/"+res] }
	testenv.Eventually(t, 5*time.Second, "one reconcile counted per result, errors retried", func() (bool, string) {
		ok := get(ResultOK) == 1 && get(ResultRequeue) == 1 && get(ResultPermanent) == 1 && get(ResultError) >= 2
		return ok, fmt.Sprintf("ok=%v requeue=%v permanent=%v error=%v", get(ResultOK), get(ResultRequeue), get(ResultPermanent), get(ResultError))
	})
}

// gather returns plinth_reconciles_total by "controller/result".
func gather(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range fams {
		if f.GetName() != "plinth_reconciles_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			out[labels["controller"]+"/"+labels["result"]] = m.GetCounter().GetValue()
		}
	}
	return out
}
