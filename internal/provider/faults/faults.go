// Package faults is what the provider emulators share to misbehave the
// way real services do: fail with HTTP 500, hang until the client gives
// up, or answer malformed JSON.
package faults

import (
	"net/http"
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
)

// Switch holds an emulator's current fault. Its zero value is ready.
type Switch struct {
	mu      sync.Mutex
	fault   Fault
	closed  bool
	release chan struct{}
}

// Set switches a fault on (None switches it off).
func (s *Switch) Set(f Fault) { s.mu.Lock(); s.fault = f; s.mu.Unlock() }

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
