package metrics_test

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/faulty"
	"github.com/plinth-storage/plinth/internal/target/mem"
	"github.com/plinth-storage/plinth/internal/target/metrics"
	"github.com/plinth-storage/plinth/internal/target/targettest"
)

func wrap(t *testing.T, tg target.Target, reg prometheus.Registerer) *metrics.Target {
	t.Helper()
	m, err := metrics.Wrap(tg, reg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestConformance(t *testing.T) {
	reg := prometheus.NewRegistry()
	targettest.Run(t, func(t *testing.T) target.Target { return wrap(t, mem.New(), reg) })
}

func TestCountsOutcomes(t *testing.T) {
	reg := prometheus.NewRegistry()
	f := faulty.Wrap(mem.New())
	m := wrap(t, f, reg)
	ctx := context.Background()
	_ = m.Put(ctx, "d/k", []byte("v"))
	_ = m.Put(ctx, "d/k2", []byte("v"))
	_, _ = m.Get(ctx, "missing")
	f.FailOp(target.OpDelete, target.KindPermanent)
	_ = m.Delete(ctx, "d/k")
	_ = m.List(ctx, "d", func(target.Entry) error { return errors.New("stop") })

	got := gather(t, reg)
	want := map[string]float64{
		"mem/delete/permanent": 1,
		"mem/get/not-found":    1,
		"mem/list/aborted":     1,
		"mem/put/ok":           2,
		"seconds mem/delete":   1,
		"seconds mem/get":      1,
		"seconds mem/list":     1,
		"seconds mem/put":      2,
	}
	if !maps.Equal(got, want) {
		t.Fatalf("metrics = %v, want %v", got, want)
	}
}

// gather returns counter values as "driver/op/outcome" and histogram
// sample counts as "seconds driver/op".
func gather(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]float64)
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetValue())
			}
			switch mf.GetName() {
			case "plinth_target_requests_total":
				out[strings.Join(labels, "/")] = m.GetCounter().GetValue()
			case "plinth_target_request_seconds":
				out["seconds "+strings.Join(labels, "/")] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return out
}

// TestSharedRegistry checks two targets can be wrapped on one registry,
// and that the global default registry is left alone.
func TestSharedRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	a, b := wrap(t, mem.New(), reg), wrap(t, mem.New(), reg)
	_ = a.Check(context.Background())
	_ = b.Check(context.Background())
	if got := gather(t, reg)["mem/check/ok"]; got != 2 {
		t.Fatalf("shared counter = %v, want 2", got)
	}
	mfs, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if strings.HasPrefix(mf.GetName(), "plinth_target") {
			t.Fatalf("metric %s registered on the global default registry", mf.GetName())
		}
	}
}

func TestConflictingRegistration(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewGauge(prometheus.GaugeOpts{Name: "plinth_target_requests_total", Help: "x"}))
	if _, err := metrics.Wrap(mem.New(), reg); err == nil {
		t.Fatal("Wrap on a registry with a conflicting metric succeeded")
	}
}
