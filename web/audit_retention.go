package web

import (
	"context"
	"strconv"
	"time"

	"github.com/tokendesk/tokendesk/internal/jobs"
)

// The retention of the audit log (Settings): entries, read-audit counts
// and refused fetches older than this many days are deleted.
const (
	settingRetentionDays = "audit_retention_days"
	defaultRetentionDays = 400
	maxRetentionDays     = 36500
	// retentionBatch rows go per transaction: each batch holds the single
	// write connection only briefly, so renewals and edits slip in between.
	retentionBatch = 500
	retentionEvery = time.Hour
)

// retentionDays is the Settings value, or the default.
func (s *Server) retentionDays(ctx context.Context) (int, error) {
	v, err := s.Store.GetSetting(ctx, settingRetentionDays)
	if err != nil {
		return 0, err
	}
	days, err := strconv.Atoi(v)
	if err != nil || days < 1 {
		return defaultRetentionDays, nil
	}
	return days, nil
}

// PruneAudit deletes what the retention setting no longer keeps, as of
// the server's clock, in batches; it reports how many rows went.
func (s *Server) PruneAudit(ctx context.Context) (int64, error) {
	days, err := s.retentionDays(ctx)
	if err != nil {
		return 0, err
	}
	return s.Store.PruneAudit(ctx, s.Now().AddDate(0, 0, -days), retentionBatch)
}

// runRetention prunes at start and then every hour until ctx ends.
func (s *Server) runRetention(ctx context.Context) {
	prune := func() {
		if n, err := s.PruneAudit(ctx); err != nil && ctx.Err() == nil {
			s.Logger.Warn("pruning the audit log", "err", err)
		} else if n > 0 {
			s.Logger.Info("pruned the audit log", "rows", n)
		}
	}
	prune()
	jobs.Every(ctx, retentionEvery, prune)
}
