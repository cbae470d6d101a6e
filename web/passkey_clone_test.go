package web

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/tokendesk/tokendesk/internal/config"
	"github.com/tokendesk/tokendesk/internal/store"
)

// softKey is a passkey held in the test: it signs assertions with the
// sign counter it is told, as a copied authenticator would.
type softKey struct {
	id  []byte
	key *ecdsa.PrivateKey
}

func (k softKey) credential(t *testing.T, signCount uint32) []byte {
	t.Helper()
	cose, err := webauthncbor.Marshal(webauthncose.EC2PublicKeyData{
		PublicKeyData: webauthncose.PublicKeyData{KeyType: int64(webauthncose.EllipticKey), Algorithm: int64(webauthncose.AlgES256)},
		Curve:         1, XCoord: k.key.PublicKey.X.FillBytes(make([]byte, 32)), YCoord: k.key.PublicKey.Y.FillBytes(make([]byte, 32)),
	})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(webauthn.Credential{ID: k.id, PublicKey: cose, AttestationType: "none",
		Flags: webauthn.CredentialFlags{UserPresent: true}, Authenticator: webauthn.Authenticator{SignCount: signCount}})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// assert answers the options' challenge for origin with counter.
func (k softKey) assert(t *testing.T, options map[string]any, origin string, counter uint32) string {
	t.Helper()
	pk, _ := options["publicKey"].(map[string]any)
	challenge, _ := pk["challenge"].(string)
	rpID, _ := pk["rpId"].(string)
	if challenge == "" || rpID == "" {
		t.Fatalf("options without a challenge or RP ID: %v", options)
	}
	cd, _ := json.Marshal(map[string]any{"type": "webauthn.get", "challenge": challenge, "origin": origin})
	rp := sha256.Sum256([]byte(rpID))
	ad := append(rp[:], 0x01) // user present
	ad = binary.BigEndian.AppendUint32(ad, counter)
	cdHash := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, ad...), cdHash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, k.key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	b := base64.RawURLEncoding.EncodeToString
	out, _ := json.Marshal(map[string]any{"id": b(k.id), "rawId": b(k.id), "type": "public-key",
		"response": map[string]any{"clientDataJSON": b(cd), "authenticatorData": b(ad), "signature": b(sig)}})
	return string(out)
}

// A passkey whose sign counter does not go up has been copied: the sign-in
// is refused with a clear message and audited; the next real use works.
func TestClonedPasskeyIsRefused(t *testing.T) {
	const origin = "http://localhost:8080"
	ts := newTestServer(t, withConfig(func(c *config.Config) { c.BaseURL, _ = url.Parse(origin) }))
	ctx := context.Background()
	admin, err := ts.store.UserByEmail(ctx, adminEmail)
	if err != nil {
		t.Fatal(err)
	}
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	k := softKey{id: []byte("passkey-one"), key: priv}
	if _, err := ts.store.AddFactor(ctx, admin.ID, store.FactorPasskey, "laptop", k.credential(t, 5), k.id, true); err != nil {
		t.Fatal(err)
	}
	signIn := func(counter uint32) (int, map[string]any) {
		ts.client = ts.newClient()
		ts.get("/login")
		wantRedirect(t, ts.post("/login", url.Values{"email": {adminEmail}, "password": {adminPassword}}), "/login/second-factor")
		ts.get("/login/second-factor")
		status, options := ts.postJSON("/login/passkey/options", "{}", true)
		if status != http.StatusOK {
			t.Fatalf("options: %d %v", status, options)
		}
		return ts.postJSON("/login/passkey", k.assert(t, options, origin, counter), true)
	}
	status, out := signIn(3) // below the 5 stored: a second copy is signing
	if msg, _ := out["error"].(string); status != http.StatusForbidden || !strings.Contains(msg, "may have been copied") {
		t.Fatalf("cloned passkey: %d %v", status, out)
	}
	wantRedirect(t, ts.get("/tokens"), "/login?next=%2Ftokens")
	if !hasAudit(t, ts, store.ActionPasskeyClone+" "+adminEmail) {
		t.Fatalf("refusal not audited: %v", auditActions(t, ts))
	}
	if status, out := signIn(6); status != http.StatusOK {
		t.Fatalf("the real passkey: %d %v", status, out)
	}
	wantStatus(t, ts.get("/tokens"), http.StatusOK)
}
