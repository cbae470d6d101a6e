package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"sync"
)

// Envelope encryption. Values stored in the database are sealed under data
// keys; each data key is kept in the database wrapped (sealed) by the
// master key and has an id, which every value sealed with it records
// (format v2). Rotating then means making a new data key current and
// re-sealing values in the background while the old key still opens
// them: every process can read every value at every moment, because an
// old key is deleted only once nothing sealed with it remains. Changing
// the master key itself only re-wraps the few data keys.
//
// Format v1 values (sealed straight under the master key, before data
// keys existed) keep opening with the master key.

// formatV2 prefixes values sealed under a data key: version | key id
// (uint32, big-endian) | nonce | ciphertext.
const formatV2 byte = 2

const keyIDSize = 4

// UnknownKeyError is returned by Keyring.Open for a value sealed under a
// data key the keyring does not hold yet: load that key (its id is in the
// error) and open again. Another process may have made it.
type UnknownKeyError struct{ ID int64 }

func (e *UnknownKeyError) Error() string {
	return "secret: value sealed under data key " + strconv.FormatInt(e.ID, 10) + ", which is not loaded"
}

// Keyring holds the master key and the data keys unwrapped so far. It is
// safe for concurrent use.
type Keyring struct {
	master *Box
	mu     sync.RWMutex
	keys   map[int64]cipher.AEAD
}

// NewKeyring returns a keyring that unwraps data keys with master.
func NewKeyring(master *Box) *Keyring {
	return &Keyring{master: master, keys: map[int64]cipher.AEAD{}}
}

// wrapAAD binds a wrapped data key to its id: a wrapped key copied to
// another id fails to unwrap.
func wrapAAD(id int64) string { return "tokendesk/data-key/" + strconv.FormatInt(id, 10) }

// Wrap seals a new data key for storage under id.
func (k *Keyring) Wrap(id int64, dataKey []byte) []byte {
	return k.master.Seal(dataKey, wrapAAD(id))
}

// Rewrap opens data key id (wrapped under this keyring's master key) and
// wraps it under next, for a change of master key.
func (k *Keyring) Rewrap(id int64, wrapped []byte, next *Box) ([]byte, error) {
	dk, err := k.master.Open(wrapped, wrapAAD(id))
	if err != nil {
		return nil, fmt.Errorf("secret: data key %d: %w", id, err)
	}
	return next.Seal(dk, wrapAAD(id)), nil
}

// Add unwraps data key id and keeps it. Adding a key already held is a
// no-op: ids are never reused for another key.
func (k *Keyring) Add(id int64, wrapped []byte) error {
	if k.Has(id) {
		return nil
	}
	if id <= 0 || id > 0xFFFFFFFF {
		return fmt.Errorf("secret: data key id %d out of range", id)
	}
	dk, err := k.master.Open(wrapped, wrapAAD(id))
	if err != nil {
		return fmt.Errorf("secret: data key %d: %w", id, err)
	}
	block, err := aes.NewCipher(dk)
	if err != nil {
		return fmt.Errorf("secret: data key %d: %w", id, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return fmt.Errorf("secret: data key %d: %w", id, err)
	}
	k.mu.Lock()
	k.keys[id] = aead
	k.mu.Unlock()
	return nil
}

// Has reports whether data key id is loaded.
func (k *Keyring) Has(id int64) bool {
	k.mu.RLock()
	defer k.mu.RUnlock()
	_, ok := k.keys[id]
	return ok
}

// Forget drops data key id (it was retired).
func (k *Keyring) Forget(id int64) {
	k.mu.Lock()
	delete(k.keys, id)
	k.mu.Unlock()
}

// Seal encrypts plaintext bound to aad under data key id (format v2).
func (k *Keyring) Seal(id int64, plaintext []byte, aad string) ([]byte, error) {
	k.mu.RLock()
	aead, ok := k.keys[id]
	k.mu.RUnlock()
	if !ok {
		return nil, &UnknownKeyError{ID: id}
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic("secret: reading random nonce: " + err.Error())
	}
	out := make([]byte, 0, 1+keyIDSize+len(nonce)+len(plaintext)+aead.Overhead())
	out = append(out, formatV2)
	out = binary.BigEndian.AppendUint32(out, uint32(id))
	out = append(out, nonce...)
	return aead.Seal(out, nonce, plaintext, []byte(aad)), nil
}

// Open decrypts a value sealed by Seal (v2) or by the master key's Box
// (v1). A v2 value under a key not loaded yet is an *UnknownKeyError.
func (k *Keyring) Open(sealed []byte, aad string) ([]byte, error) {
	id, ok := KeyIDOf(sealed)
	if !ok {
		return k.master.Open(sealed, aad)
	}
	k.mu.RLock()
	aead, ok := k.keys[id]
	k.mu.RUnlock()
	if !ok {
		return nil, &UnknownKeyError{ID: id}
	}
	ns := aead.NonceSize()
	body := sealed[1+keyIDSize:]
	if len(body) < ns+aead.Overhead() {
		return nil, ErrOpen
	}
	plain, err := aead.Open(nil, body[:ns], body[ns:], []byte(aad))
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}

// KeyIDOf returns the id of the data key a v2 value was sealed under;
// false for anything else (v1 values, which the master key sealed).
func KeyIDOf(sealed []byte) (int64, bool) {
	if len(sealed) < 1+keyIDSize || sealed[0] != formatV2 {
		return 0, false
	}
	return int64(binary.BigEndian.Uint32(sealed[1 : 1+keyIDSize])), true
}

// IsUnknownKey reports whether err is an *UnknownKeyError, and its id.
func IsUnknownKey(err error) (int64, bool) {
	var uk *UnknownKeyError
	if errors.As(err, &uk) {
		return uk.ID, true
	}
	return 0, false
}
