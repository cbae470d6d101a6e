package token

import (
	"strings"
	"time"
)

// AssumedLifetime is how long a stored access token is taken to live when
// its service did not say (RFC 6749 makes expires_in only RECOMMENDED;
// Salesforce never sends it). An unknown expiry is never "for ever": past
// this, the token is renewed on demand or refused. One hour is the most
// common lifetime among the services tokendesk knows, and the shortest
// that does not make every Disabled token useless at once. Migration 00022
// applied the same rule to tokens stored before it; keep the two in step.
const AssumedLifetime = time.Hour

// Tone is the colour a status badge takes.
type Tone string

// Tones, calm to alarming.
const (
	ToneNone Tone = ""
	ToneOK   Tone = "ok"
	ToneWarn Tone = "warn"
	ToneBad  Tone = "bad"
)

// StatusDef is one status a token can be in: the one declaration that the
// list, the token's page, the Status filter (its order), the banners, the
// badge colours, the tokendesk_tokens gauge (its labels) and the runtime
// API's refusals are all derived from. Status decides which one a token is
// in; the store's SQL mirrors it and is table-tested against it.
type StatusDef struct {
	Name string // as people read it, and the metrics label
	Tone Tone
	// Unusable: apps get no token from the runtime API; the list's banner
	// counts such tokens.
	Unusable bool
	// Code is the runtime API's error code for a fetch that meets this
	// status and cannot be helped ("": a fetch is served, or renewed first).
	Code string
}

// Statuses in the order a person looking for trouble wants them: the
// Status filter's order. A token shows StatusReconnectSoon with its days
// ("Reconnect within 3 days", ReconnectWithin); StatusByName takes either.
// StatusRetired is shown in its provider's own wording ("Retired by Zoom");
// StatusByName takes that too.
var Statuses = []StatusDef{
	{Name: StatusNeedsReconnect, Tone: ToneBad, Unusable: true, Code: "needs_reconnect"},
	{Name: StatusAttention, Tone: ToneBad},
	{Name: StatusFailing, Tone: ToneBad},
	{Name: StatusNeedsSecret, Tone: ToneBad, Unusable: true, Code: "needs_secret"},
	{Name: StatusExpiredDisabled, Tone: ToneBad, Unusable: true, Code: "renewals_disabled"},
	{Name: StatusExpired, Tone: ToneBad},
	{Name: StatusNotConnected, Tone: ToneWarn, Unusable: true, Code: "not_connected"},
	// Usable today, but someone must reconnect it before its refresh token
	// runs out: after the unusable ones, before the calm warnings.
	{Name: StatusReconnectSoon, Tone: ToneWarn},
	{Name: StatusExpiresSoon, Tone: ToneWarn},
	{Name: StatusNotRenewed, Tone: ToneWarn},
	{Name: StatusHealthy, Tone: ToneOK},
	// Nothing a person can do brings it back (the API answers 410): last.
	{Name: StatusRetired, Tone: ToneBad, Unusable: true, Code: "retired"},
}

// StatusRetired is the status of the tokens of a provider its vendor
// retired (provider.Provider.Retired words it: "Retired by Zoom"). The
// store knows it by provider, not by a token's state: TokenFilter.Retired.
const StatusRetired = "Retired"

// StatusReconnectSoon is the status of a token whose refresh token runs
// out within RefreshWarning: one status (one filter, one count, one gauge
// label), shown on each token with its days ("Reconnect within 3 days").
const StatusReconnectSoon = "Reconnect soon"

// reconnectWithin begins every way StatusReconnectSoon is shown.
const reconnectWithin = "Reconnect within "

// StatusByName finds a declared status, by its name or as a token shows
// it ("Reconnect within 3 days" is StatusReconnectSoon).
func StatusByName(name string) (StatusDef, bool) {
	switch {
	case strings.HasPrefix(name, reconnectWithin):
		name = StatusReconnectSoon
	case strings.HasPrefix(name, StatusRetired):
		name = StatusRetired
	}
	for _, s := range Statuses {
		if s.Name == name {
			return s, true
		}
	}
	return StatusDef{}, false
}

// StatusTone is the badge colour of any status a token can show.
func StatusTone(name string) Tone {
	if s, ok := StatusByName(name); ok {
		return s.Tone
	}
	return ToneNone
}

// StatusNames are the declared statuses' names, in the filter's order.
func StatusNames() []string {
	out := make([]string, len(Statuses))
	for i, s := range Statuses {
		out[i] = s.Name
	}
	return out
}

// UnusableStatuses names the statuses whose tokens apps cannot get.
func UnusableStatuses() []string {
	var out []string
	for _, s := range Statuses {
		if s.Unusable {
			out = append(out, s.Name)
		}
	}
	return out
}

// Expiry is when the stored access token expires: as recorded or, for a
// token stored without one (by a version before migration 00022, or a
// replica not yet upgraded), AssumedLifetime after it was last obtained.
// Zero: no access token was ever obtained.
func (r Renewal) Expiry() time.Time {
	if r.ExpiresAt.IsZero() && !r.LastRenewedAt.IsZero() {
		return r.LastRenewedAt.Add(AssumedLifetime)
	}
	return r.ExpiresAt
}

// StatusCode is the runtime API's error code for a token in status.
func StatusCode(status string) string {
	s, _ := StatusByName(status)
	return s.Code
}
