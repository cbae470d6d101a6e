package provider

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// A call that runs out of time names the timeout that applied: the 10 s
// default in production, or a short one a test injected.
func TestTimeoutMessageNamesTheTimeout(t *testing.T) {
	for _, tt := range []struct {
		timeout time.Duration
		want    string
	}{
		{DefaultTimeout, "no answer from api.example within 10s"},
		{2500 * time.Millisecond, "no answer from api.example within 3s"},
		{300 * time.Millisecond, "no answer from api.example within 300ms"},
	} {
		t.Run(tt.timeout.String(), func(t *testing.T) {
			err := fmt.Errorf("Post: %w", context.DeadlineExceeded)
			if got := transportProblem(err, "api.example", tt.timeout); got != tt.want {
				t.Fatalf("%q, want %q", got, tt.want)
			}
		})
	}
}
