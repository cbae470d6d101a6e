package renewal

import (
	"context"
	"errors"
	"time"
)

// ErrReplaced: the access token an app reported refused is no longer the
// stored one (a renewal replaced it meanwhile); the service is not asked.
var ErrReplaced = errors.New("the reported access token was already replaced")

// TooSoon: the token was obtained less than the least gap ago; it is not
// renewed again before Until, so that an app reporting every token it gets
// as refused cannot make tokendesk storm the service.
type TooSoon struct{ Until time.Time }

func (e *TooSoon) Error() string { return "renewed too recently" }

// RenewRejected renews token id because an app reported its access token
// refused by the service, if isRejected says the stored access token is
// still the one reported and it was not obtained less than minGap ago.
// Both are checked under the token's renewal lease, so that however many
// processes hear the report at once the service is asked once: the others
// get store.ErrLeased (the store's), then (once it is released) ErrReplaced.
func (w *Worker) RenewRejected(ctx context.Context, id int64, isRejected func(access string) bool, minGap time.Duration) error {
	c, err := w.store.ClaimOne(ctx, id, w.Owner, w.Clock.Now(), w.Lease)
	if err != nil {
		return err
	}
	p, ok := w.providers(c.Provider)
	if !ok || p.Renew == nil {
		w.release(ctx, c)
		return ErrNothingToRenew
	}
	t, err := w.store.TokenByID(ctx, id)
	if err != nil {
		w.release(ctx, c)
		return err
	}
	values, err := w.store.TokenValuesOf(ctx, id, []string{p.Tokens.Access})
	if err != nil {
		w.release(ctx, c)
		return err
	}
	if !isRejected(values[p.Tokens.Access]) {
		w.release(ctx, c)
		return ErrReplaced
	}
	if last := t.LastRenewedAt; !last.IsZero() && w.Clock.Now().Before(last.Add(minGap)) {
		w.release(ctx, c)
		return &TooSoon{Until: last.Add(minGap)}
	}
	return w.renew(ctx, c)
}
