package web

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/prometheus/client_golang/prometheus"
)

// What every request counts (its id; for a fetch, the metrics) is kept in
// shards picked by the client's connection, not in one counter: two cores
// answering fetches at once wrote one cache line back and forth on every
// request, a microsecond and more of a fetch (issue 20 item 4). A
// connection's requests come one after another, so its shard is mostly
// written by one core at a time.

const connShardCount = 16

type connShards struct {
	prefix string // a random prefix per process, so that replicas' ids differ
	shard  [connShardCount]connShard
}

type connShard struct {
	digit byte // this shard's index as a hex digit, in its ids
	ids   atomic.Uint64
	// The runtime API's fetches (GET on fetchRoute): those answered 200,
	// and how long each took, by bucket of fetchBuckets (the last slot:
	// longer than them all).
	served atomic.Uint64
	took   [len(durationBuckets) + 1]atomic.Uint64
	tookNs atomic.Uint64
	_      [64]byte // shards never share a cache line
}

var durationBuckets = [...]float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10}

func newConnShards() *connShards {
	var prefix [6]byte
	rand.Read(prefix[:])
	s := &connShards{prefix: hex.EncodeToString(prefix[:]) + "-"}
	for i := range s.shard {
		s.shard[i].digit = "0123456789abcdef"[i]
	}
	return s
}

// of is the shard of r's connection: its remote port (the address's last
// digits) tells connections apart at no cost.
func (s *connShards) of(r *http.Request) *connShard {
	a := r.RemoteAddr
	var h uint
	for i := max(0, len(a)-5); i < len(a); i++ {
		h = h*31 + uint(a[i])
	}
	return &s.shard[h%connShardCount]
}

// newID numbers a request: the process's prefix, the shard's digit and
// its count, unique for the process. The id comes as a header value, its
// bytes and the value in one allocation.
func (s *connShards) newID(r *http.Request) []string {
	sh := s.of(r)
	id := new(struct {
		v [1]string
		b [32]byte // 13 of prefix, 1 of shard, at most 13 of count
	})
	b := append(append(id.b[:0], s.prefix...), sh.digit)
	b = strconv.AppendUint(b, sh.ids.Add(1), 36)
	// Never written again: the string may share the bytes.
	id.v[0] = unsafe.String(unsafe.SliceData(b), len(b))
	return id.v[:]
}

// fetched counts a fetch answered with status after took.
func (sh *connShard) fetched(status int, took time.Duration) {
	if status == http.StatusOK {
		sh.served.Add(1)
	}
	i, secs := 0, took.Seconds()
	for i < len(durationBuckets) && secs > durationBuckets[i] {
		i++
	}
	sh.took[i].Add(1)
	sh.tookNs.Add(uint64(took))
}

// fetchCollector reports the shards' fetch counts as the series of
// tokendesk_http_requests_total (code 200) and
// tokendesk_http_request_duration_seconds that the fetch route has; the
// vectors hold every other series. It describes nothing (an unchecked
// collector): its series belong to the vectors' families.
type fetchCollector struct {
	shards         *connShards
	requests, took *prometheus.Desc
	method, route  string
}

func newFetchCollector(shards *connShards) fetchCollector {
	return fetchCollector{shards: shards,
		requests: prometheus.NewDesc("tokendesk_http_requests_total", requestsHelp, []string{"method", "route", "code"}, nil),
		took:     prometheus.NewDesc("tokendesk_http_request_duration_seconds", durationHelp, []string{"method", "route"}, nil),
		method:   http.MethodGet, route: fetchRoute}
}

func (fetchCollector) Describe(chan<- *prometheus.Desc) {}

func (c fetchCollector) Collect(ch chan<- prometheus.Metric) {
	var served, count, ns uint64
	var by [len(durationBuckets) + 1]uint64
	for i := range c.shards.shard {
		sh := &c.shards.shard[i]
		served += sh.served.Load()
		ns += sh.tookNs.Load()
		for j := range sh.took {
			n := sh.took[j].Load()
			by[j] += n
			count += n
		}
	}
	if count == 0 {
		return // no fetch yet: no series, as a vector's
	}
	buckets, cum := make(map[float64]uint64, len(durationBuckets)), uint64(0)
	for j, le := range durationBuckets {
		cum += by[j]
		buckets[le] = cum
	}
	if served > 0 {
		ch <- prometheus.MustNewConstMetric(c.requests, prometheus.CounterValue, float64(served), c.method, c.route, "200")
	}
	ch <- prometheus.MustNewConstHistogram(c.took, count, time.Duration(ns).Seconds(), buckets, c.method, c.route)
}
