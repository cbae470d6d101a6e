package transfer

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/age/armor"
)

// manyEmpty is a file of n empty tokens: under 5 MB for 1.7 million.
func manyEmpty(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"format":"tokendesk.access-tokens","version":1,"tokens":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("{}")
	}
	b.WriteString("]}")
	return b.Bytes()
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// A 5 MB file of 1.7 million "{}" tokens is refused at the 1,001st token:
// reading stops there, and decoding allocates a bounded amount instead of
// the whole file's tokens (hundreds of megabytes before streaming).
func TestDecodeStopsAtTheTokenLimit(t *testing.T) {
	data := manyEmpty(1_700_000)
	if len(data) > MaxSize {
		t.Fatalf("the test file is %d bytes, over MaxSize", len(data))
	}
	cr := &countingReader{r: bytes.NewReader(data)}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := DecodeReader(cr, "")
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTooManyTokens) {
		t.Fatalf("err = %v, want ErrTooManyTokens", err)
	}
	if cr.n > 64<<10 {
		t.Fatalf("read %d of %d bytes: decoding did not stop at the limit", cr.n, len(data))
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Fatalf("decoding allocated %d MiB", alloc>>20)
	}

	// Exactly the limit is read; encrypted files stream the same way.
	if f, err := Decode(manyEmpty(MaxTokens), ""); err != nil || len(f.Tokens) != MaxTokens {
		t.Fatalf("%d tokens: %v", len(f.Tokens), err)
	}
	sealed := encryptRaw(t, manyEmpty(MaxTokens+1), "a long passphrase")
	if _, err := Decode(sealed, "a long passphrase"); !errors.Is(err, ErrTooManyTokens) {
		t.Fatalf("encrypted: %v", err)
	}
}

// The byte limit still holds for a file that is mostly spaces, and a
// document followed by another is refused as before.
func TestDecodeStreamLimits(t *testing.T) {
	big := append(bytes.Repeat([]byte(" "), MaxSize), manyEmpty(1)...)
	if _, err := Decode(big, ""); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("over MaxSize: %v", err)
	}
	if _, err := Decode(append(manyEmpty(1), manyEmpty(1)...), ""); !errors.Is(err, ErrNotExport) {
		t.Fatalf("two documents: %v", err)
	}
	if _, err := Decode([]byte(`{"format":"tokendesk.access-tokens","version":1,"tokens":[{"nmae":"x"}]}`), ""); err == nil || !strings.Contains(err.Error(), "nmae") {
		t.Fatalf("unknown token field: %v", err)
	}
	if _, err := Decode([]byte(`{"format":"tokendesk.access-tokens","version":1,"extra":1}`), ""); err == nil || !strings.Contains(err.Error(), "extra") {
		t.Fatalf("unknown field: %v", err)
	}
	if _, err := Decode([]byte(`{"format":"tokendesk.access-tokens","version":1,"tokens":[{}`), ""); !errors.Is(err, ErrNotExport) {
		t.Fatalf("cut short: %v", err)
	}
}

// encryptRaw encrypts any bytes as an export with secrets would be.
func encryptRaw(t *testing.T, plain []byte, pass string) []byte {
	t.Helper()
	r, err := age.NewScryptRecipient(pass)
	if err != nil {
		t.Fatal(err)
	}
	r.SetWorkFactor(lowWork)
	var out bytes.Buffer
	aw := armor.NewWriter(&out)
	w, err := age.Encrypt(aw, r)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(plain)
	w.Close()
	aw.Close()
	return out.Bytes()
}
