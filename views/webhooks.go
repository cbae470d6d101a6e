package views

import "time"

// WebhooksPage is Settings → Notifications: the webhook endpoints.
type WebhooksPage struct {
	Page
	Rows         []WebhookRow
	Form         WebhookForm
	AllowPrivate bool
	// SMTP says where e-mail notifications go ("" when none are set up).
	SMTP string
}

// WebhookRow is one endpoint in the list.
type WebhookRow struct {
	URL     string
	Events  string
	ShowURL string
	Last    string // the latest delivery's outcome
}

// WebhookForm is an endpoint's URL and events, new or edited.
type WebhookForm struct {
	PostURL string
	Submit  string
	URL     string
	Events  []Option // Label is the event's name, Value its description
	Errors  map[string]string
}

// WebhookPage is one endpoint: its settings, secret, test and deliveries.
type WebhookPage struct {
	Page
	URL        string
	Form       WebhookForm
	Secret     string // the new secret, shown once after create or rotate
	SecretURL  string
	TestURL    string
	DeleteURL  string
	Deliveries []DeliveryRow
	// PreviousUntil: until when the secret before the last rotation still
	// signs deliveries too (zero: none is kept).
	PreviousUntil time.Time
}

// DeliveryRow is one event sent (or being sent) to an endpoint.
type DeliveryRow struct {
	Event    string
	MsgID    string
	Created  string
	State    string
	Next     string
	Attempts []AttemptRow
}

// AttemptRow is one attempt at a delivery and the answer.
type AttemptRow struct {
	At       string
	Answer   string // "200 OK" or why there was none
	Excerpt  string
	Duration string
}

// WebhookDeletePage confirms removing an endpoint.
type WebhookDeletePage struct {
	Page
	URL       string
	PostURL   string
	CancelURL string
}

// WebhookRotatePage confirms giving an endpoint a new signing secret.
type WebhookRotatePage struct {
	Page
	URL string
	// Until: when the current secret stops signing, if rotated now.
	Until time.Time
	// Replaces: a secret kept from an earlier rotation is dropped now.
	Replaces  bool
	PostURL   string
	CancelURL string
}
