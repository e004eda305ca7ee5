package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/plaudit/plaudit/pkg/api"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the page's own: a page view's answer, whole, by the route
// pattern that served it. The API calls a page makes in process are
// counted by the API's metrics as well, under their own routes.
type metrics struct {
	views    *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		views: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "plaudit_web_requests_total",
			Help: "Requests to the web page, by route pattern and status class.",
		}, []string{"route", "status_class"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "plaudit_web_request_duration_seconds",
			Help:    "Time to answer a request to the web page, by route pattern; the live stream is left out.",
			Buckets: []float64{.0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route"}),
	}
	if reg != nil {
		reg.MustRegister(m.views, m.duration)
	}
	return m
}

// observe counts the requests h serves under route. A stream (the live
// page's events) is counted, not timed: its length is the visitor's.
func (m *metrics) observe(route string, h http.Handler) http.Handler {
	timed := route != liveEventsRoute
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &api.StatusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		// Series are made as routes are used: a page nobody opens adds
		// none to a scrape.
		m.views.WithLabelValues(route, strconv.Itoa(sw.Status()/100)+"xx").Inc()
		if timed {
			m.duration.WithLabelValues(route).Observe(time.Since(start).Seconds())
		}
	})
}
