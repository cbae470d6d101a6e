// Package renewal keeps the Renewal Rate promise: a background worker that
// renews due access tokens, exclusively (leases in the database), safely
// (version-checked writes; an administrator's edit always wins) and
// visibly (state, metrics and audit entries instead of a server log line).
package renewal

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	mrand "math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/tokendesk/tokendesk/internal/jobs"
	"github.com/tokendesk/tokendesk/internal/provider"
	"github.com/tokendesk/tokendesk/internal/store"
	"github.com/tokendesk/tokendesk/internal/token"
)

// Defaults.
const (
	DefaultParallel = 8
	DefaultBatch    = 64
	DefaultLease    = 2 * time.Minute
	DefaultSpread   = 5 * time.Second
	DefaultPoll     = 5 * time.Second
	// maxRedo bounds how often a renewal is redone after concurrent edits.
	maxRedo = 3
	// maxWaiting bounds the claims waiting out their spread. Enough that a
	// backlog waiting on average Spread/2 still feeds every slot: 8 slots
	// at 50 ms a renewal start 160 a second, and 512 waiting over 2.5 s
	// release about 200 a second.
	maxWaiting = 512
)

// TimeFrom is jobs.TimeFrom: a clock that reads the time from now and
// waits on the wall clock.
func TimeFrom(now func() time.Time) jobs.Clock { return jobs.TimeFrom(now) }

// Worker renews due tokens. Create it with New; Run it in a goroutine.
type Worker struct {
	store     *store.Store
	providers func(id string) (provider.Provider, bool)
	env       provider.Env
	logger    *slog.Logger
	metrics   *Metrics

	// Clock tells the time and times every wait; Jitter returns [0,1).
	// Tests make both predictable.
	Clock  jobs.Clock
	Jitter func() float64
	// Owner names this worker in leases; unique per process.
	Owner    string
	Parallel int
	Batch    int
	Lease    time.Duration
	// Spread delays each overdue renewal by up to this much, so that a
	// backlog (after a restart) is not all sent at once, without holding a
	// renewal slot while it waits. Renewals on time start at once.
	Spread time.Duration
	Poll   time.Duration
	// OnStart, if set, sees each renewal start and its lag (instrumentation).
	OnStart func(lag time.Duration)

	wake jobs.Waker
	wg   sync.WaitGroup
}

// New returns a worker with the defaults.
func New(st *store.Store, providers func(string) (provider.Provider, bool), env provider.Env, logger *slog.Logger, m *Metrics) *Worker {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	rand.Read(b)
	return &Worker{
		store: st, providers: providers, env: env, logger: logger, metrics: m,
		Clock: jobs.RealClock{}, Jitter: mrand.Float64,
		Owner:    fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b)),
		Parallel: DefaultParallel, Batch: DefaultBatch, Lease: DefaultLease, Spread: DefaultSpread, Poll: DefaultPoll,
		wake: jobs.NewWaker(),
	}
}

// Wake makes a sleeping worker look for due tokens now.
func (w *Worker) Wake() { w.wake.Wake() }

// Run renews due tokens until ctx ends, then waits for renewals under way.
// Those get until drain ends to finish; after that they are abandoned
// cleanly (their lease released, nothing half-written).
func (w *Worker) Run(ctx context.Context, drain context.Context) {
	// Two bounds: slots for renewals talking to providers (Parallel), and
	// claims held at all, renewing or waiting out their spread. A claim
	// waits its spread before it takes a slot, so pacing a backlog never
	// keeps a provider call from starting; and the worker stops claiming
	// while maxWaiting claims wait, so no lease is held much longer than
	// the spread.
	slots := make(chan struct{}, max(w.Parallel, 1))
	held := make(chan struct{}, max(w.Parallel, 1)+maxWaiting)
	for ctx.Err() == nil {
		claims, err := w.store.ClaimDue(ctx, w.Owner, w.Clock.Now(), w.Lease, w.Batch)
		if err != nil && ctx.Err() == nil {
			w.logger.Error("claiming due tokens", "err", err)
		}
		for _, c := range claims {
			select {
			case held <- struct{}{}:
			case <-ctx.Done():
				w.release(drain, c)
				continue
			}
			w.wg.Add(1)
			go func(c store.Claim) {
				defer func() { <-held; w.wg.Done() }()
				if !w.pause(ctx, w.spread(c)) {
					w.release(drain, c)
					return
				}
				select {
				case slots <- struct{}{}:
				case <-ctx.Done():
					w.release(drain, c)
					return
				}
				defer func() { <-slots }()
				w.renew(drain, c)
			}(c)
		}
		if len(claims) == w.Batch {
			continue // more are due
		}
		w.sleep(ctx)
	}
	w.wg.Wait()
}

// RunOnce claims and renews everything due now and waits for it (tests,
// and a cheap way to drain a backlog).
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	return jobs.RunBatches(w.Batch, w.Parallel,
		func() ([]store.Claim, error) { return w.store.ClaimDue(ctx, w.Owner, w.Clock.Now(), w.Lease, w.Batch) },
		func(c store.Claim) { w.renew(ctx, c) })
}

// RenewNow renews one token immediately, for the "Renew now" button.
func (w *Worker) RenewNow(ctx context.Context, id int64) error {
	c, err := w.store.ClaimOne(ctx, id, w.Owner, w.Clock.Now(), w.Lease)
	if err != nil {
		return err
	}
	return w.renew(ctx, c)
}

// backlog is how late a token must be to count as part of a backlog.
const backlog = time.Minute

func (w *Worker) spread(c store.Claim) time.Duration {
	if w.Spread <= 0 || w.Clock.Now().Sub(c.DueAt) < backlog {
		return 0
	}
	return time.Duration(w.Jitter() * float64(w.Spread))
}

func (w *Worker) pause(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	elapsed, stop := w.Clock.After(d)
	defer stop()
	select {
	case <-elapsed:
		return true
	case <-ctx.Done():
		return false
	}
}

// sleep waits until the next token is due, a wake-up, or the poll interval.
func (w *Worker) sleep(ctx context.Context) {
	next, err := w.store.NextDue(ctx)
	if err != nil {
		next = time.Time{}
	}
	w.wake.Sleep(ctx, w.Clock, next, w.Poll)
}

func (w *Worker) release(ctx context.Context, c store.Claim) {
	if err := w.store.ReleaseLease(context.WithoutCancel(ctx), c, c.DueAt); err != nil {
		w.logger.Warn("releasing renewal lease", "token_id", c.ID, "err", err)
	}
}

// ErrNothingToRenew: the provider has no renewal (a Zoom JWT app).
var ErrNothingToRenew = errors.New("this kind of token has nothing to renew")

// ErrNeedsReconnect: the token's grant is gone and only a person
// consenting again restores it; the provider is not called.
var ErrNeedsReconnect = errors.New("this token needs reconnecting")

// renew runs one claimed renewal to a recorded outcome.
func (w *Worker) renew(ctx context.Context, c store.Claim) error {
	start := w.Clock.Now()
	p, ok := w.providers(c.Provider)
	if !ok || p.Renew == nil {
		w.release(ctx, c)
		return ErrNothingToRenew
	}
	if c.NeedsReconnect {
		w.release(ctx, c)
		return ErrNeedsReconnect
	}
	if c.MustReconnect(start) {
		// The refresh token's lifetime has run out: the service would
		// refuse it, so it is not asked. Marking the token (as a refusal
		// would) stops it being due again and tells whoever is notified.
		return w.needsReconnect(ctx, c, fmt.Sprintf("The refresh token ran out at %s; the service no longer accepts it. Reconnect to give tokendesk a new grant.",
			c.RefreshExpiresAt.UTC().Format(time.RFC3339)), start)
	}
	lag := max(start.Sub(c.DueAt), 0)
	w.metrics.lag.Observe(lag.Seconds())
	if w.OnStart != nil {
		w.OnStart(lag)
	}

	var used map[string]string // the values the grant in hand was obtained with
	var g provider.Grant
	for attempt := 0; ; attempt++ {
		values, err := w.store.TokenValues(ctx, c.ID)
		if err != nil {
			return w.fail(ctx, c, p, "The stored credentials could not be read: "+errMessage(err), start, 0)
		}
		if used == nil || !maps.Equal(used, values) {
			g, err = p.Renew(ctx, w.env, values)
			if ctx.Err() != nil {
				// Shutting down: abandon cleanly, the token stays as it was.
				w.release(ctx, c)
				w.metrics.renewals.WithLabelValues(c.Provider, "abandoned").Inc()
				return ctx.Err()
			}
			var gone *provider.ReconnectError
			if errors.As(err, &gone) {
				return w.needsReconnect(ctx, c, gone.Message, start)
			}
			if err != nil {
				// Providers redact what a vendor said where they quote it;
				// the rest is tokendesk's own wording, kept whole.
				return w.fail(ctx, c, p, err.Error(), start, retryAfter(err))
			}
			used = values
		}
		err = w.store.SaveRenewal(ctx, c, token.FromGrant(p, g), w.Clock.Now())
		switch {
		case errors.Is(err, store.ErrStale) && attempt < maxRedo:
			// An administrator edited the token meanwhile: their edit wins.
			// The provider is asked again only if the edit changed what the
			// renewal used (credentials, region, key, refresh token); after a
			// description or rate edit the grant in hand is saved, since
			// asking again would spend a refresh token for nothing.
			t, terr := w.store.TokenByID(ctx, c.ID)
			if terr != nil {
				return terr
			}
			c.Version, c.Rate, c.Encrypted = t.Version, t.Rate, t.Encrypted
			w.logger.Info("token edited during renewal; saving again under the edit", "token_id", c.ID)
			continue
		case errors.Is(err, store.ErrLeaseLost), errors.Is(err, store.ErrNotFound):
			w.metrics.renewals.WithLabelValues(c.Provider, "lost").Inc()
			return err
		case err != nil:
			w.logger.Error("saving renewal", "token_id", c.ID, "err", err)
			w.release(ctx, c)
			return err
		}
		took := w.Clock.Now().Sub(start)
		w.metrics.renewals.WithLabelValues(c.Provider, "success").Inc()
		w.metrics.duration.Observe(took.Seconds())
		w.logger.Info("token renewed", "token_id", c.ID, "provider", c.Provider, "expires", g.ExpiresAt)
		return nil
	}
}

// retryAfter is the wait a throttling provider asked for (zero if none).
func retryAfter(err error) time.Duration {
	var ce *provider.CallError
	if errors.As(err, &ce) && ce.Throttled() {
		return ce.RetryAfter
	}
	return 0
}

// fail records a failed renewal and schedules the retry after the backoff,
// and never before the wait a throttling provider asked for.
func (w *Worker) fail(ctx context.Context, c store.Claim, p provider.Provider, msg string, start time.Time, notBefore time.Duration) error {
	// A provider's wait is bounded however it reached us (Throttle bounds
	// it too): days without renewals is not what anyone asked for.
	notBefore = min(max(notBefore, 0), provider.MaxRetryAfter)
	retry := w.Clock.Now().Add(max(token.Backoff(c.Rate, c.Failures+1, w.Jitter), notBefore))
	n, err := w.store.RecordRenewalFailure(context.WithoutCancel(ctx), c, msg, retry, w.Clock.Now())
	w.metrics.renewals.WithLabelValues(c.Provider, "failure").Inc()
	w.metrics.duration.Observe(w.Clock.Now().Sub(start).Seconds())
	w.logger.Warn("token renewal failed", "token_id", c.ID, "provider", c.Provider, "failures", n, "retry_at", retry, "problem", msg)
	if err != nil {
		return err
	}
	return &Failure{Message: msg}
}

// needsReconnect records a grant the provider refused for good: no retry
// is scheduled, so no storm of refusals follows.
func (w *Worker) needsReconnect(ctx context.Context, c store.Claim, msg string, start time.Time) error {
	err := w.store.MarkNeedsReconnect(context.WithoutCancel(ctx), c, msg, w.Clock.Now())
	w.metrics.renewals.WithLabelValues(c.Provider, "failure").Inc()
	w.metrics.duration.Observe(w.Clock.Now().Sub(start).Seconds())
	w.logger.Warn("token needs reconnecting", "token_id", c.ID, "provider", c.Provider, "problem", msg)
	if err != nil {
		return err
	}
	return &Failure{Message: msg, Reconnect: true}
}

// Failure is a renewal the provider refused or could not answer.
type Failure struct {
	Message string
	// Reconnect: the grant is gone; renewals stopped until a person
	// consents again.
	Reconnect bool
}

func (f *Failure) Error() string { return f.Message }

func errMessage(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	return "decryption failed; check the master key"
}

// Metrics are the worker's Prometheus metrics.
type Metrics struct {
	renewals *prometheus.CounterVec
	duration prometheus.Histogram
	lag      prometheus.Histogram
}

// NewMetrics registers the worker's metrics, and a tokendesk_tokens gauge
// by status computed from the database at each scrape. retired maps the
// providers their vendor retired to the status their tokens show.
func NewMetrics(reg prometheus.Registerer, st *store.Store, now func() time.Time, retired map[string]string) *Metrics {
	m := &Metrics{
		renewals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tokendesk_renewals_total", Help: "Token renewals by provider and outcome (success, failure, abandoned, lost).",
		}, []string{"provider", "outcome"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "tokendesk_renewal_duration_seconds", Help: "Time one renewal took, provider call and save.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
		}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "tokendesk_renewal_lag_seconds", Help: "How late a renewal started after it was due.",
			Buckets: prometheus.ExponentialBuckets(0.05, 2, 16),
		}),
	}
	reg.MustRegister(m.renewals, m.duration, m.lag, &statusCollector{store: st, now: now, retired: retired,
		desc: prometheus.NewDesc("tokendesk_tokens", "Access tokens by renewal status.", []string{"status"}, nil)})
	return m
}

type statusCollector struct {
	store   *store.Store
	now     func() time.Time
	retired map[string]string
	desc    *prometheus.Desc
}

func (c *statusCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *statusCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := c.store.CountByStatus(ctx, c.now(), c.retired)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	// Every declared status, zero or not (a retired provider's tokens are
	// token.StatusRetired, however the provider words it).
	for _, s := range token.StatusNames() {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(counts[s]), s)
	}
}
