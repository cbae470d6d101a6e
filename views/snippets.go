package views

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
)

// APIUsage shows an app's developer how to fetch a token from this
// console, in code to copy: curl, Go (the client library), Python
// (requests) and JavaScript (fetch), with the console's real address and
// the token's name, URL-encoded, filled in.
type APIUsage struct {
	TokenName string
	// KeyExport sets TOKENDESK_KEY in a shell (the one-time key page
	// only: the key is on that page anyway; never elsewhere).
	KeyExport string
	// NoToken: no token exists yet in this scope; TokenName is an example.
	NoToken bool
	// ClientsURL is where this scope's API clients (keys) are made.
	ClientsURL string
	OpenAPIURL string
	Snippets   []Snippet
}

// Snippet is one language's code.
type Snippet struct {
	ID, Label, Code string
}

// NewAPIUsage builds the snippets for the token name on the console at
// base (scheme://host[/prefix]). A name is one path segment
// (url.PathEscape): "Lab Feed" is Lab%20Feed, safe in single quotes too.
func NewAPIUsage(base, name, clientsURL string) *APIUsage {
	base = strings.TrimRight(base, "/")
	fetchURL := base + "/api/v1/tokens/" + url.PathEscape(name)
	lit := jsString(name)
	u := &APIUsage{
		TokenName:  name,
		ClientsURL: clientsURL,
		OpenAPIURL: base + "/api/v1/openapi.json",
		Snippets: []Snippet{
			{ID: "snippet-curl", Label: "curl", Code: `curl -s -H "Authorization: Bearer $TOKENDESK_KEY" \
  '` + fetchURL + `'`},
			{ID: "snippet-go", Label: "Go (github.com/tokendesk/tokendesk/client)", Code: `package main

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/tokendesk/tokendesk/client"
)

func main() {
	td, err := client.New(` + strconv.Quote(base) + `, os.Getenv("TOKENDESK_KEY"))
	if err != nil {
		log.Fatal(err)
	}
	// Cached until shortly before it expires; one request however many ask.
	tok, err := td.Token(context.Background(), ` + strconv.Quote(name) + `)
	if err != nil {
		log.Fatal(err) // a *client.Error names the API's code, e.g. not_found
	}
	fmt.Println("expires at", tok.ExpiresAt)
	// Send tok.AccessToken as "Authorization: Bearer …", or let
	// &http.Client{Transport: td.Transport(` + strconv.Quote(name) + `, nil)} do it:
	// on a 401 it reports the token and retries once with a renewed one.
}`},
			{ID: "snippet-python", Label: "Python (requests)", Code: `import os
from urllib.parse import quote

import requests

name = ` + lit + `
resp = requests.get(
    "` + base + `/api/v1/tokens/" + quote(name, safe=""),
    headers={"Authorization": "Bearer " + os.environ["TOKENDESK_KEY"]},
    timeout=30,
)
answer = resp.json()
if resp.status_code != 200:
    raise SystemExit(f"tokendesk: {resp.status_code} {answer['error']['code']}: {answer['error']['message']}")
access_token = answer["access_token"]  # send as "Authorization: Bearer " + access_token
print("expires at", answer["expires_at"])`},
			{ID: "snippet-js", Label: "JavaScript (fetch)", Code: `// Node.js 18+ in an ES module (.mjs). On a server only: a key in a browser is a key for anyone.
const name = ` + lit + `;
const resp = await fetch(
  "` + base + `/api/v1/tokens/" + encodeURIComponent(name),
  { headers: { Authorization: "Bearer " + process.env.TOKENDESK_KEY } },
);
const answer = await resp.json();
if (!resp.ok) {
  throw new Error(` + "`tokendesk: ${resp.status} ${answer.error.code}: ${answer.error.message}`" + `);
}
const accessToken = answer.access_token; // send as "Authorization: Bearer " + accessToken
console.log("expires at", answer.expires_at);`},
		},
	}
	u.Snippets = append(u.Snippets, proxySnippets(base, name)...)
	return u
}

// proxySnippets call the token's service through tokendesk's proxy: the
// app sends its key, tokendesk adds the access token. "/me" stands for
// the path under the token's API Base URL.
func proxySnippets(base, name string) []Snippet {
	proxyURL := base + "/api/v1/proxy/" + url.PathEscape(name)
	lit := jsString(name)
	return []Snippet{
		{ID: "snippet-proxy-curl", Label: "Through the proxy: curl", Code: `curl -s -H "Authorization: Bearer $TOKENDESK_KEY" \
  '` + proxyURL + `/me'`},
		{ID: "snippet-proxy-go", Label: "Through the proxy: Go", Code: `td, err := client.New(` + strconv.Quote(base) + `, os.Getenv("TOKENDESK_KEY"))
if err != nil {
	log.Fatal(err)
}
// Every request goes to the token's API Base URL + its path, with the
// token added by tokendesk; the host written here is ignored.
svc := &http.Client{Transport: td.ProxyTransport(` + strconv.Quote(name) + `, nil)}
resp, err := svc.Get("https://service/me")`},
		{ID: "snippet-proxy-python", Label: "Through the proxy: Python (requests)", Code: `import os
from urllib.parse import quote

import requests

name = ` + lit + `
resp = requests.get(
    "` + base + `/api/v1/proxy/" + quote(name, safe="") + "/me",
    headers={"Authorization": "Bearer " + os.environ["TOKENDESK_KEY"]},
    timeout=30,
)
print(resp.status_code, resp.text)`},
		{ID: "snippet-proxy-js", Label: "Through the proxy: JavaScript (fetch)", Code: `const name = ` + lit + `;
const resp = await fetch(
  "` + base + `/api/v1/proxy/" + encodeURIComponent(name) + "/me",
  { headers: { Authorization: "Bearer " + process.env.TOKENDESK_KEY } },
);
console.log(resp.status, await resp.text());`},
	}
}

// jsString quotes s as a JSON string, which JavaScript and Python read
// alike (without HTML escaping: templ escapes the page, not the code).
func jsString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}
