package config

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
)

// parseSMTP reads TOKENDESK_SMTP_URL (nil when empty). Its problems never
// repeat the URL: it may hold a password.
func parseSMTP(raw string) (*SMTP, error) {
	if raw == "" {
		return nil, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("is not a URL (smtp://user:pass@host:port?from=…&to=…)")
	}
	s := &SMTP{Host: u.Hostname()}
	switch u.Scheme {
	case "smtp":
		s.Port = 587
	case "smtps":
		s.Port, s.ImplicitTLS = 465, true
	default:
		return nil, fmt.Errorf("scheme %q is not supported (use smtp:// or smtps://)", u.Scheme)
	}
	if s.Host == "" {
		return nil, errors.New("names no host (smtp://user:pass@host:port?from=…)")
	}
	if p := u.Port(); p != "" {
		if s.Port, err = strconv.Atoi(p); err != nil || s.Port < 1 || s.Port > 65535 {
			return nil, errors.New("has a port that is not a number from 1 to 65535")
		}
	}
	if u.User != nil {
		s.Username = u.User.Username()
		s.Password, _ = u.User.Password()
	}
	q := u.Query()
	from, err := mail.ParseAddress(q.Get("from"))
	if err != nil {
		return nil, errors.New("needs from=<sender address> (e.g. ?from=tokendesk@example.com)")
	}
	s.From = from.Address
	if to := q.Get("to"); to != "" {
		list, err := mail.ParseAddressList(to)
		if err != nil {
			return nil, errors.New("has a to= that is not a comma-separated list of addresses")
		}
		for _, a := range list {
			s.To = append(s.To, a.Address)
		}
	}
	for k := range q {
		if k != "from" && k != "to" {
			return nil, fmt.Errorf("has an unknown parameter %q (only from and to)", strings.ToValidUTF8(k, "?"))
		}
	}
	return s, nil
}
