package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"strings"

	"github.com/tokendesk/tokendesk/client"
)

// In an app, the address and the key come from its configuration, such as
// os.Getenv("TOKENDESK_URL") and os.Getenv("TOKENDESK_KEY"); here they are
// those of the tokendesk the tests started.

// Fetch a token by name and use it.
func Example() {
	td, err := client.New(tokendeskURL, apiKey)
	if err != nil {
		log.Fatal(err)
	}
	tok, err := td.Token(context.Background(), "Old Feed")
	if err != nil {
		log.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, "https://api.redoxengine.com/endpoint", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	fmt.Println(tok.Name, tok.Provider, tok.Scope)
	// Output: Old Feed redox global
}

// An http.Client that adds the token to every request, and on a 401
// reports the token to tokendesk and retries once with a renewed one.
func ExampleClient_Transport() {
	td, err := client.New(tokendeskURL, apiKey)
	if err != nil {
		log.Fatal(err)
	}
	redoxAPI := &http.Client{Transport: td.Transport("Lab Feed", nil)}
	resp, err := redoxAPI.Post(redoxURL+"/endpoint", "application/json",
		strings.NewReader(`{"Meta":{"DataModel":"Results","EventType":"New","Destinations":[{"ID":"d1"}]}}`))
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	fmt.Println(resp.Status)
	// Output: 200 OK
}

// Tell what went wrong by the API's error code.
func ExampleError() {
	td, err := client.New(tokendeskURL, apiKey)
	if err != nil {
		log.Fatal(err)
	}
	_, err = td.Token(context.Background(), "No Such Feed")
	var e *client.Error
	if errors.As(err, &e) {
		fmt.Println(e.Status, e.Code)
	}
	// Output: 404 not_found
}

// Report a token the service refused and get a working one (what
// Transport does on a 401).
func ExampleClient_Refresh() {
	td, err := client.New(tokendeskURL, apiKey)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	tok, err := td.Token(ctx, "Lab Feed")
	if err != nil {
		log.Fatal(err)
	}
	// … the service answered 401 to tok.AccessToken:
	fresh, err := td.Refresh(ctx, "Lab Feed", tok.AccessToken)
	var e *client.Error
	switch {
	case errors.As(err, &e) && e.RetryAfter > 0:
		fmt.Println("renewed moments ago; retry after", e.RetryAfter > 0)
	case err != nil:
		log.Fatal(err)
	default:
		fmt.Println(fresh.AccessToken != tok.AccessToken)
	}
}
