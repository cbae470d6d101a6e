package main

import (
	"github.com/tokendesk/tokendesk/internal/auth"
	"golang.org/x/crypto/bcrypt"
)

// The servers these tests start in-process hash and check passwords at
// bcrypt's lowest cost: at production's cost 12 every start (the
// administrator's hash and the unknown-email dummy) and every sign-in took
// seconds under -race. Only this test binary changes it; the processes
// process_test.go starts are the real binary, at cost 12.
func init() { auth.DefaultHasher = auth.Hasher{Cost: bcrypt.MinCost} }
