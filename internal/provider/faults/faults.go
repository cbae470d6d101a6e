// Package faults is what the provider emulators share to misbehave the
// way real services do: fail with HTTP 500, hang until the client gives
// up, or answer malformed JSON.
package faults

import (
	"net/http"
	"strconv"
	"sync"
)

// Fault is one way to misbehave.
type Fault int

// Faults.
const (
	None      Fault = iota
	Fail500         // every call answers HTTP 500
	Hang            // every call waits until the client gives up
	Malformed       // successful answers are not valid JSON
	Throttle        // every call answers HTTP 429 with Retry-After
)

// DefaultRetryAfter is the wait, in seconds, the Throttle fault asks for.
const DefaultRetryAfter = 30

// Switch holds an emulator's current fault. Its zero value is ready.
type Switch struct {
	mu         sync.Mutex
	fault      Fault
	retryAfter int
	closed     bool
	release    chan struct{}
}

// Set switches a fault on (None switches it off).
func (s *Switch) Set(f Fault) { s.mu.Lock(); s.fault = f; s.mu.Unlock() }

// SetRetryAfter changes the Retry-After (seconds) that Throttle sends.
func (s *Switch) SetRetryAfter(seconds int) { s.mu.Lock(); s.retryAfter = seconds; s.mu.Unlock() }

// RetryAfter is the Retry-After header value Throttle sends.
func (s *Switch) RetryAfter() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.retryAfter == 0 {
		return strconv.Itoa(DefaultRetryAfter)
	}
	return strconv.Itoa(s.retryAfter)
}

// Current is the fault in force.
func (s *Switch) Current() Fault { s.mu.Lock(); defer s.mu.Unlock(); return s.fault }

func (s *Switch) released() chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.release == nil {
		s.release = make(chan struct{})
		if s.closed {
			close(s.release)
		}
	}
	return s.release
}

// Wait holds a request until its client gives up or the switch closes.
func (s *Switch) Wait(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-s.released():
	}
}

// Close releases every request held by Hang, for good.
func (s *Switch) Close() {
	rel := s.released()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(rel)
	}
}
