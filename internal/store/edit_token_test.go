package store

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/tokendesk/tokendesk/internal/token"
)

// EditToken hands the decision its token as the write reads it, values
// opened, and writes just what it decides: a refused decision leaves the
// token, its values and its audit trail as they were; the values it
// reports are those now stored, so the caller need not read them again.
func TestEditTokenDecidesFromWhatItReads(t *testing.T) {
	onBoth(t, func(t *testing.T) {
		ctx := context.Background()
		s, _ := clockedStore(t)
		tok, err := s.CreateToken(ctx, labFeed(map[string]string{"api_key": "k1", "secret": "s1"}), "ada")
		if err != nil {
			t.Fatal(err)
		}
		trail := audited(t, s, tok.ID)

		refused := &token.Refused{Errs: token.FieldErrors{"secret": "again"}}
		var seen token.Current
		_, err = s.EditToken(ctx, tok.ID, tok.Version, "bob", func(cur token.Current) (token.Change, error) {
			seen = cur
			return token.Change{}, refused
		})
		if !errors.Is(err, refused) || token.RefusedFields(err)["secret"] != "again" {
			t.Fatalf("refusal came back as %v", err)
		}
		if seen.Token.ID != tok.ID || seen.Token.Version != tok.Version || !reflect.DeepEqual(seen.Values, map[string]string{"api_key": "k1", "secret": "s1"}) {
			t.Fatalf("decision saw %+v", seen)
		}
		if after, _ := s.TokenByID(ctx, tok.ID); after.Version != tok.Version || !reflect.DeepEqual(audited(t, s, tok.ID), trail) {
			t.Fatalf("a refused edit wrote: version %d, audit %v", after.Version, audited(t, s, tok.ID))
		}

		ed, err := s.EditToken(ctx, tok.ID, tok.Version, "bob", func(cur token.Current) (token.Change, error) {
			ch := labFeed(map[string]string{"api_key": cur.Values["api_key"] + "+"})
			ch.Clear = []string{"secret"}
			return ch, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		stored, _ := s.TokenValues(ctx, tok.ID)
		if !reflect.DeepEqual(ed.Values, stored) || stored["api_key"] != "k1+" || ed.Token.Version != tok.Version+1 ||
			!reflect.DeepEqual(ed.Changed, []string{"api_key", "secret"}) {
			t.Fatalf("edited %+v, stored %v", ed, stored)
		}

		// A stale version is refused after the decision, as the form was
		// refused before: nothing written.
		if _, err := s.EditToken(ctx, tok.ID, tok.Version, "bob", func(token.Current) (token.Change, error) {
			return labFeed(nil), nil
		}); !errors.Is(err, ErrStale) {
			t.Fatalf("stale edit: %v", err)
		}
	})
}
