package engine

import (
	"context"

	"github.com/tokendesk/tokendesk/internal/store"
)

// A flush whose batch the database refuses for the data itself
// (store.Unwritable: text PostgreSQL cannot hold, a constraint) writes its
// rows one at a time and drops those refused, with one log line per flush
// that names no value: retried as a batch, one bad row kept the whole
// refused-fetch log (or the read audit) from being written for ever. Rows
// that fail for another reason (the database away) are kept for the next
// flush, as before.

// recordRefusals writes counted refusals, dropping rows that cannot be
// written; rows it could not write for another reason go back to the log.
func (e *Engine) recordRefusals(ctx context.Context, out map[store.RefusalKey]store.RefusalCount) error {
	err := e.Store.RecordRefusals(ctx, out)
	if err == nil {
		return nil
	}
	if !store.Unwritable(err) {
		for k, n := range out {
			e.putBackRefusal(k, n)
		}
		return err
	}
	var failed error
	dropped, code := map[string]int64{}, store.ErrorCode(err)
	for k, n := range out {
		switch err := e.Store.RecordRefusals(ctx, map[store.RefusalKey]store.RefusalCount{k: n}); {
		case err == nil:
		case store.Unwritable(err):
			dropped[k.Reason] += n.Count
			code = store.ErrorCode(err)
		default:
			e.putBackRefusal(k, n)
			failed = err
		}
	}
	if len(dropped) > 0 {
		e.Logger.Warn("dropped refused fetches the database cannot store", "by_reason", dropped, "error", code)
	}
	return failed
}

// putBackRefusal returns a refusal that could not be written to the log
// for the next flush, as resolved (revoked key, not permitted): with no key
// hash or app, the next flush writes it as it is.
func (e *Engine) putBackRefusal(k store.RefusalKey, n store.RefusalCount) {
	e.refusals.putBack(map[refusal]store.RefusalCount{{minute: k.Minute, reason: k.Reason, clientID: k.ClientID,
		keyPrefix: k.KeyPrefix, tokenName: k.TokenName, address: k.Address}: n})
}

// recordUsage writes counted usage, dropping rows that cannot be written;
// rows it could not write for another reason go back for the next flush.
func (e *Engine) recordUsage(ctx context.Context, u store.Usage) error {
	err := e.Store.RecordUsage(ctx, u)
	if err == nil {
		return nil
	}
	if !store.Unwritable(err) {
		e.api.putBack(u) // the next flush tries again
		return err
	}
	var failed error
	dropped, code := 0, store.ErrorCode(err)
	one := func(part store.Usage) {
		switch err := e.Store.RecordUsage(ctx, part); {
		case err == nil:
		case store.Unwritable(err):
			dropped++
			code = store.ErrorCode(err)
		default:
			e.api.putBack(part)
			failed = err
		}
	}
	for k, n := range u.Reads {
		part := newUsage()
		part.Reads[k] = n
		one(part)
	}
	for k, use := range u.Uses {
		part := newUsage()
		part.Uses[k] = use
		one(part)
	}
	for id, last := range u.Clients {
		part := newUsage()
		part.Clients[id] = last
		one(part)
	}
	if dropped > 0 {
		e.Logger.Warn("dropped API usage rows the database cannot store", "rows", dropped, "error", code)
	}
	return failed
}
