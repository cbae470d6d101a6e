package store

import "context"

// SettingProvidersAllowPrivate ("true"/"false"): provider calls to URLs
// typed on a form (an OAuth 2.0 Token URL) may reach loopback, private and
// link-local addresses. Off by default, like webhooks' own setting.
const SettingProvidersAllowPrivate = "providers_allow_private"

// ProvidersAllowPrivate reads SettingProvidersAllowPrivate; false when it
// cannot be read, so a failing database never opens the guard.
func (s *Store) ProvidersAllowPrivate(ctx context.Context) bool {
	v, err := s.GetSetting(ctx, SettingProvidersAllowPrivate)
	return err == nil && v == "true"
}
