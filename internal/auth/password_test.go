package auth

import (
	"bytes"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// An unknown email costs the same bcrypt work as a real account: the hash
// compared against has the hasher's cost, and is made once.
func TestUnknownEmailCostsTheSameWork(t *testing.T) {
	for _, cost := range []int{bcrypt.MinCost, 6, 8} {
		h := Hasher{Cost: cost}
		real, err := h.Hash("a real password 1")
		if err != nil {
			t.Fatal(err)
		}
		realCost, _ := bcrypt.Cost(h.against(real))
		unknownCost, err := bcrypt.Cost(h.against(""))
		if err != nil || unknownCost != realCost || unknownCost != cost {
			t.Fatalf("cost %d: real account compares at %d, unknown email at %d (%v)", cost, realCost, unknownCost, err)
		}
		if first, again := h.against(""), h.against(""); &first[0] != &again[0] || !bytes.Equal(first, again) {
			t.Fatalf("cost %d: the dummy hash is made again for every unknown email", cost)
		}
		if h.Check("", "tokendesk-no-such-user") || h.Check("", "") {
			t.Fatal("an unknown email signed in")
		}
		if !h.Check(real, "a real password 1") || h.Check(real, "wrong password 12") {
			t.Fatal("real account check broken")
		}
	}
}
