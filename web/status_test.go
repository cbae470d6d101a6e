package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/tokendesk/tokendesk/internal/token"
)

// Issue 19 item 5: a token imported without its secret says "Needs
// secret" in the list and on its page, the list counts it among the tokens
// apps cannot use, and a fetch answers 409 needs_secret without calling
// the service.
func TestATokenImportedWithoutItsSecretNeedsOne(t *testing.T) {
	src := lowWork(newTestServer(t))
	src.signInAdmin()
	saveRedox(t, src, "/tokens", "Lab Feed")
	defs := mustExport(t, src, "/tokens", url.Values{"id": {itoa(tokenIDByName(t, src, "Lab Feed"))}})

	dst := lowWork(newTestServer(t))
	dst.signInAdmin()
	confirmImport(t, dst, "/tokens", uploadImport(t, dst, "/tokens", defs, ""), nil)
	id := tokenIDByName(t, dst, "Lab Feed")
	if got := tokenRowStatus(t, dst, "Lab Feed"); got != token.StatusNeedsSecret {
		t.Fatalf("listed as %q", got)
	}
	if got := dst.get("/tokens/" + itoa(id)).text("[data-testid=renewal-status]"); got != token.StatusNeedsSecret {
		t.Fatalf("its page says %q", got)
	}
	if banner := dst.get("/tokens").text("[data-testid=unusable-count]"); !strings.Contains(banner, "1 "+token.StatusNeedsSecret) {
		t.Fatalf("banner %q", banner)
	}
	key := createClient(t, dst, "/clients", "Job")
	before := redoxTokenCalls(dst)
	a := apiGet(t, dst, key, "Lab Feed")
	if a.Status != http.StatusConflict || a.Error.Code != "needs_secret" || !strings.Contains(a.Error.Message, "/tokens/"+itoa(id)) || redoxTokenCalls(dst) != before {
		t.Fatalf("fetch: %d %s %q; %d calls", a.Status, a.Error.Code, a.Error.Message, redoxTokenCalls(dst)-before)
	}
}

// Every error code a status declares is documented, and every declared
// status is a choice of the list's Status filter, in the declared order.
func TestStatusesAreToldTheSameEverywhere(t *testing.T) {
	ts := newTestServer(t)
	ts.signInAdmin()
	var doc struct {
		Components struct {
			Schemas struct {
				Error struct {
					Properties struct {
						Error struct {
							Properties struct {
								Code struct {
									Enum []string `json:"enum"`
								} `json:"code"`
							} `json:"properties"`
						} `json:"error"`
					} `json:"properties"`
				} `json:"Error"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal([]byte(ts.get("/api/v1/openapi.json").Body), &doc); err != nil {
		t.Fatal(err)
	}
	codes := doc.Components.Schemas.Error.Properties.Error.Properties.Code.Enum
	var options []string
	ts.get("/tokens").Doc.Find("#status option").Each(func(_ int, s *goquery.Selection) {
		if v := strings.TrimSpace(s.Text()); v != "" && v != "Any" && !strings.HasPrefix(v, "All") {
			options = append(options, v)
		}
	})
	for i, st := range token.Statuses {
		if st.Code != "" && !slices.Contains(codes, st.Code) {
			t.Errorf("%q answers %q, which openapi.json does not list", st.Name, st.Code)
		}
		if i >= len(options) || options[i] != st.Name {
			t.Errorf("filter option %d is %v, want %q", i, options, st.Name)
		}
		if st.Tone == token.ToneNone {
			t.Errorf("%q has no badge colour", st.Name)
		}
	}
}
