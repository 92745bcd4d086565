package rancher

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics counts API requests and their durations per route.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewMetrics registers plinth_api_requests_total{route,method,code} and
// plinth_api_request_duration_seconds{route,method} on reg. It fails if
// they are already registered there.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "plinth_api_requests_total",
			Help: "API requests answered, by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "plinth_api_request_duration_seconds",
			Help:    "Time to answer API requests, by route pattern and method.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("registering API metrics: %w", err)
		}
	}
	return m, nil
}

// Middleware counts each request once it completes. Labels are bounded:
// route is the ServeMux pattern without its method ("/v1/backingimages/{name}")
// or "unmatched", and unusual methods are counted as "OTHER".
func (m *Metrics) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		w, rec, r := track(w, r)
		defer func() {
			route, method := routeLabel(rec, r), methodLabel(r.Method)
			m.requests.WithLabelValues(route, method, strconv.Itoa(rec.code())).Inc()
			m.duration.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
		}()
		next.ServeHTTP(w, r)
	})
}

// routeLabel is the recorded route, else the pattern net/http set on r,
// without the method prefix; "unmatched" when no route matched.
func routeLabel(rec *recorder, r *http.Request) string {
	p := rec.route
	if p == "" {
		p = r.Pattern
	}
	if p == "" || r.Method == http.MethodConnect {
		return "unmatched"
	}
	if _, rest, ok := strings.Cut(p, " "); ok {
		p = strings.TrimSpace(rest)
	}
	return p
}

func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
		http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}
