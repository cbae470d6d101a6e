package oauthtest

import "time"

const (
	hour = time.Hour
	day  = 24 * time.Hour
)

// Vendors are the catalogue's services as the emulator plays them, by the
// row's provider ID: each vendor's documented behaviour
// (docs/oauth-services.md) and the API answers a client reads, in the
// vendor's shape. They are the test data of the catalogue's rows
// (web's TestCatalogueEveryServiceEndToEnd) and what `make demo` serves.
// A row without an entry here fails that test.
var Vendors = map[string]*Vendor{
	"oauth2-google-drive": {
		Name: "Google", AuthorizePath: "/o/oauth2/v2/auth", AuthMethod: ClientSecretPost,
		// Without access_type=offline (and prompt=consent) no refresh token.
		OfflineParams: map[string]string{"access_type": "offline", "prompt": "consent"}, Reusable: true,
		AuthHost: "accounts.google.com", Account: "Demo User (demo.user@oauth.example)",
	},
	"oauth2-microsoft-sharepoint": {
		Name: "Microsoft Entra ID", AuthMethod: ClientSecretPost, OfflineScope: "offline_access",
		Entra: &Entra{Tenant: "contoso.onmicrosoft.com"}, RefreshTTL: 90 * day,
		AuthHost: "login.microsoftonline.com", Account: "Demo User (demo.user@oauth.example)",
	},
	"oauth2-box": {
		Name: "Box", AuthorizePath: "/api/oauth2/authorize", TokenPath: "/oauth2/token", AuthMethod: ClientSecretPost,
		NoPKCE: true, RefreshTTL: 60 * day,
		AuthHost: "account.box.com", Account: "Demo User (demo.user@oauth.example)",
	},
	"oauth2-salesforce": {
		Name: "Salesforce", AuthorizePath: "/services/oauth2/authorize", TokenPath: "/services/oauth2/token", AuthMethod: ClientSecretPost,
		NoExpiresIn: true, AccessTTL: 2 * hour, Reusable: true,
		Answer:   map[string]any{"instance_url": "{base}", "id": "{base}/id/00D5e000000TEST/0055e000000USER", "issued_at": "1764000000000", "signature": "c2lnbmF0dXJl"},
		AuthHost: "login.salesforce.com", Account: "Demo User (demo.user@oauth.example)",
		Want: map[string]string{"instance_url": "{base}", "id": "{base}/id/00D5e000000TEST/0055e000000USER"},
	},
	"oauth2-dropbox": {
		Name: "Dropbox", AuthorizePath: "/oauth2/authorize", TokenPath: "/oauth2/token", AuthMethod: ClientSecretBasic,
		OfflineParams: map[string]string{"token_access_type": "offline"}, Reusable: true, AccessTTL: 4 * hour,
		Answer:   map[string]any{"account_id": "dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc", "uid": "12345"},
		AuthHost: "www.dropbox.com", Account: "Demo User (demo.user@oauth.example)",
		Want: map[string]string{"account_id": "dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc"},
	},
	"oauth2-zoom-user": {
		Name: "Zoom", AuthorizePath: "/oauth/authorize", TokenPath: "/oauth/token", AuthMethod: ClientSecretBasic,
		ScopeSeparator: ",", Scope: "user:read meeting:write",
		Answer:    map[string]any{"api_url": "{base}"},
		Resources: map[string]string{"GET /v2/users/me": `{"id":"{sub}","first_name":"Demo","last_name":"User","email":"{email}","type":2,"account_id":"zm-acc"}`},
		AuthHost:  "zoom.us", Account: "Demo User (demo.user@oauth.example)",
		Want: map[string]string{"api_url": "{base}"},
	},
	"oauth2-hubspot": {
		Name: "HubSpot", AuthorizePath: "/oauth/authorize", TokenPath: "/oauth/v1/token", AuthMethod: ClientSecretPost,
		AccessTTL: 30 * time.Minute,
		Resources: map[string]string{"GET /account-info/v3/details": `{"portalId":62515,"accountType":"STANDARD","timeZone":"US/Eastern","companyCurrency":"USD","uiDomain":"app.hubspot.com","dataHostingLocation":"na1"}`},
		AuthHost:  "app.hubspot.com", Account: "62515",
		Want: map[string]string{"hub_id": "62515"},
	},
	"oauth2-slack": {
		// With token rotation on: 12-hour tokens and a refresh token
		// replaced on every use.
		Name: "Slack", AuthorizePath: "/oauth/v2/authorize", TokenPath: "/api/oauth.v2.access", AuthMethod: ClientSecretPost,
		ScopeSeparator: ",", AccessTTL: 12 * hour,
		// Slack answers nearly everything HTTP 200; a refused token is ok: false.
		RefuseWith200: `{"ok":false,"error":"invalid_auth"}`,
		Answer: map[string]any{"ok": true, "app_id": "A0KRD7HC3", "team": map[string]any{"id": "T9TK3CUKW", "name": "Slack Pickers"},
			"bot_user_id": "U0KRQLJ9H", "authed_user": map[string]any{"id": "U1234"}, "is_enterprise_install": false},
		Resources: map[string]string{"POST /api/auth.test": `{"ok":true,"url":"https://slackpickers.slack.com/","team":"Slack Pickers","user":"demo","team_id":"T9TK3CUKW","user_id":"U1234"}`},
		AuthHost:  "slack.com", Account: "demo (Slack Pickers)",
		Want: map[string]string{"team_id": "T9TK3CUKW", "team_name": "Slack Pickers", "bot_user_id": "U0KRQLJ9H", "authed_user_id": "U1234"},
	},
	"oauth2-atlassian": {
		Name: "Atlassian", AuthorizePath: "/authorize", TokenPath: "/oauth/token", AuthMethod: ClientSecretPost,
		RequireParams: map[string]string{"audience": "api.atlassian.com", "prompt": "consent"}, OfflineScope: "offline_access",
		Resources: map[string]string{
			"GET /oauth/token/accessible-resources": `[{"id":"1324a887-45db-1bf4-1e99-ef0ff456d421","url":"https://your-domain.atlassian.net","name":"your-domain","scopes":["read:jira-work"]}]`,
			"GET /me":                               `{"account_id":"{sub}","email":"{email}","name":"{name}"}`,
		},
		AuthHost: "auth.atlassian.com", Account: "Demo User (demo.user@oauth.example)",
		Want: map[string]string{"cloud_id": "1324a887-45db-1bf4-1e99-ef0ff456d421", "site_url": "https://your-domain.atlassian.net"},
	},
	"oauth2-github": {
		// A GitHub App's user token: 8 hours, refresh 6 months, both
		// replaced on use; the answer form-encoded.
		Name: "GitHub", AuthorizePath: "/login/oauth/authorize", TokenPath: "/login/oauth/access_token", AuthMethod: ClientSecretPost,
		FormAnswer: true, AccessTTL: 8 * hour, RefreshTTL: 183 * day,
		Resources: map[string]string{"GET /user": `{"login":"demo-user","id":1,"name":"{name}","email":"{email}"}`},
		AuthHost:  "github.com", Account: "Demo User (demo-user)",
	},
	"oauth2-gitlab": {
		Name: "GitLab", AuthorizePath: "/oauth/authorize", TokenPath: "/oauth/token", AuthMethod: ClientSecretPost,
		// A refresh invalidates the old access and refresh tokens.
		AccessTTL: 2 * hour, Answer: map[string]any{"created_at": 1764000000}, RefreshRevokesAccess: true,
		Resources: map[string]string{"GET /api/v4/user": `{"id":1,"username":"demo.user","name":"{name}","email":"{email}"}`},
		Fields:    map[string]string{"gitlab_host": "gitlab.example.com"},
		AuthHost:  "gitlab.example.com", Account: "Demo User (demo.user)",
	},
	"oauth2-zendesk": {
		// Each refresh deletes the previous access and refresh tokens.
		Name: "Zendesk", AuthorizePath: "/oauth/authorizations/new", TokenPath: "/oauth/tokens", AuthMethod: ClientSecretPost,
		AccessTTL: 30 * time.Minute, RefreshRevokesAccess: true,
		Resources: map[string]string{"GET /api/v2/users/me.json": `{"user":{"id":1,"name":"{name}","email":"{email}","role":"admin"}}`},
		Fields:    map[string]string{"subdomain": "acme"},
		AuthHost:  "acme.zendesk.com", Account: "Demo User (demo.user@oauth.example)",
	},
	"oauth2-servicenow": {
		Name: "ServiceNow", AuthorizePath: "/oauth_auth.do", TokenPath: "/oauth_token.do", AuthMethod: ClientSecretBasic,
		AccessTTL: 30 * time.Minute, RefreshTTL: 100 * day, Reusable: true,
		Resources: map[string]string{"GET /api/now/ui/user/current_user": `{"result":{"user_name":"demo.user","user_display_name":"{name}","user_sys_id":"6816f79cc0a8016401c5a33be04be441"}}`},
		Fields:    map[string]string{"instance": "acme"},
		AuthHost:  "acme.service-now.com", Account: "Demo User (demo.user)",
	},
	"oauth2-docusign": {
		Name: "DocuSign", AuthorizePath: "/oauth/auth", TokenPath: "/oauth/token", AuthMethod: ClientSecretBasic,
		AccessTTL: 8 * hour,
		Resources: map[string]string{"GET /oauth/userinfo": `{"sub":"{sub}","name":"{name}","email":"{email}","accounts":[{"account_id":"7f3c2b1a-acc","is_default":true,"account_name":"Demo Account","base_uri":"https://demo.docusign.net"}]}`},
		Fields:    map[string]string{"docusign_env": "account-d"},
		AuthHost:  "account-d.docusign.com", Account: "Demo User (demo.user@oauth.example)",
		Want: map[string]string{"base_uri": "https://demo.docusign.net", "account_id": "7f3c2b1a-acc"},
	},
	"oauth2-xero": {
		Name: "Xero", AuthorizePath: "/identity/connect/authorize", TokenPath: "/connect/token", AuthMethod: ClientSecretBasic,
		OfflineScope: "offline_access", AccessTTL: 30 * time.Minute,
		Resources: map[string]string{"GET /connections": `[{"id":"e1eede29-f875-4a5d-8470-17f6a29a88b1","tenantId":"70784a63-d24b-46a9-a4db-0e70a274b056","tenantType":"ORGANISATION","tenantName":"Maple Florists Inc"}]`},
		AuthHost:  "login.xero.com", Account: "Maple Florists Inc",
		Want: map[string]string{"tenant_id": "70784a63-d24b-46a9-a4db-0e70a274b056"},
	},
	"oauth2-quickbooks": {
		Name: "QuickBooks Online", AuthorizePath: "/connect/oauth2", TokenPath: "/oauth2/v1/tokens/bearer", AuthMethod: ClientSecretBasic,
		Answer:      map[string]any{"x_refresh_token_expires_in": 8726400},
		RefreshEnds: 8726400 * time.Second,
		Callback:    map[string]string{"realmId": "9130349730471996"},
		Resources:   map[string]string{"GET /v3/company/9130349730471996/companyinfo/9130349730471996": `{"CompanyInfo":{"CompanyName":"Sandbox Company_US_1","Email":{"Address":"{email}"}}}`},
		Fields:      map[string]string{"quickbooks_api": "sandbox-quickbooks.api.intuit.com"},
		AuthHost:    "appcenter.intuit.com", Account: "Sandbox Company_US_1 (demo.user@oauth.example)",
		Want: map[string]string{"realm_id": "9130349730471996"},
	},
	"oauth2-shopify": {
		// An offline token: no expiry, no refresh token, presented in
		// X-Shopify-Access-Token (a Bearer header is refused).
		Name: "Shopify", AuthorizePath: "/admin/oauth/authorize", TokenPath: "/admin/oauth/access_token", AuthMethod: ClientSecretPost,
		NeverExpires: true, NoRefresh: true, TokenHeader: "X-Shopify-Access-Token",
		Resources: map[string]string{"GET /admin/api/2025-01/shop.json": `{"shop":{"id":1,"name":"Acme Shop","email":"{email}","myshopify_domain":"acme.myshopify.com"}}`},
		Fields:    map[string]string{"shop": "acme"},
		AuthHost:  "acme.myshopify.com", Account: "Acme Shop (demo.user@oauth.example)",
	},
	"oauth2-notion": {
		Name: "Notion", AuthorizePath: "/v1/oauth/authorize", TokenPath: "/v1/oauth/token", AuthMethod: ClientSecretBasic,
		JSONBody: true, RequireParams: map[string]string{"owner": "user"},
		Answer: map[string]any{"bot_id": "b3414d659-1224-5ty7-6ffr-cc9d8773drt6", "workspace_id": "j565j4d7x3-2882-61bs-564a-jj9d9ui-c36hxfr7x",
			"workspace_name": "Ada's Notion", "owner": map[string]any{"type": "user"}},
		Resources: map[string]string{"GET /v1/users/me": `{"object":"user","id":"b3414d659","name":"Demo Integration","type":"bot","bot":{"owner":{"type":"user"}}}`},
		AuthHost:  "api.notion.com", Account: "Demo Integration",
		Want: map[string]string{"workspace_id": "j565j4d7x3-2882-61bs-564a-jj9d9ui-c36hxfr7x", "bot_id": "b3414d659-1224-5ty7-6ffr-cc9d8773drt6"},
	},
	"oauth2-asana": {
		Name: "Asana", AuthorizePath: "/-/oauth_authorize", TokenPath: "/-/oauth_token", AuthMethod: ClientSecretPost, Reusable: true,
		Answer:    map[string]any{"data": map[string]any{"id": "4673218951", "name": "Demo User"}},
		Resources: map[string]string{"GET /api/1.0/users/me": `{"data":{"gid":"4673218951","name":"{name}","email":"{email}"}}`},
		AuthHost:  "app.asana.com", Account: "Demo User (demo.user@oauth.example)",
	},
	"oauth2-okta": {
		Name: "Okta", AuthorizePath: "/oauth2/default/v1/authorize", TokenPath: "/oauth2/default/v1/token", AuthMethod: ClientSecretBasic,
		OfflineScope: "offline_access",
		Resources:    map[string]string{"GET /oauth2/default/v1/userinfo": `{"sub":"{sub}","name":"{name}","email":"{email}"}`},
		Fields:       map[string]string{"okta_domain": "acme.okta.com"},
		AuthHost:     "acme.okta.com", Account: "Demo User (demo.user@oauth.example)",
	},
	"oauth2-monday": {
		// Legacy tokens: valid until the app is uninstalled, no refresh.
		Name: "monday.com", AuthorizePath: "/oauth2/authorize", TokenPath: "/oauth2/token", AuthMethod: ClientSecretPost,
		NeverExpires: true, NoRefresh: true,
		Resources: map[string]string{"POST /v2": `{"data":{"me":{"name":"{name}","email":"{email}"}},"account_id":1}`},
		AuthHost:  "auth.monday.com", Account: "Demo User (demo.user@oauth.example)",
	},
	"oauth2-pipedrive": {
		Name: "Pipedrive", AuthorizePath: "/oauth/authorize", TokenPath: "/oauth/token", AuthMethod: ClientSecretBasic,
		Answer:    map[string]any{"api_domain": "https://acme.pipedrive.com"},
		Resources: map[string]string{"GET /api/v1/users/me": `{"success":true,"data":{"id":1,"name":"{name}","email":"{email}","company_domain":"acme"}}`},
		AuthHost:  "oauth.pipedrive.com", Account: "Demo User (demo.user@oauth.example)",
		Want: map[string]string{"api_domain": "https://acme.pipedrive.com"},
	},
	"oauth2-mailchimp": {
		// Tokens that do not expire: expires_in 0 and no refresh token.
		Name: "Mailchimp", AuthorizePath: "/oauth2/authorize", TokenPath: "/oauth2/token", AuthMethod: ClientSecretPost,
		NeverExpires: true, ExpiresInZero: true, NoRefresh: true,
		Resources: map[string]string{"GET /oauth2/metadata": `{"dc":"us19","role":"owner","accountname":"Acme Newsletters","user_id":4242,"login":{"email":"{email}","login_id":4242,"login_name":"demo"},"login_url":"https://login.mailchimp.com","api_endpoint":"https://us19.api.mailchimp.com"}`},
		AuthHost:  "login.mailchimp.com", Account: "Acme Newsletters (demo.user@oauth.example)",
		Want: map[string]string{"dc": "us19", "api_endpoint": "https://us19.api.mailchimp.com"},
	},
	"oauth2-linkedin": {
		// An approved partner's programmatic refresh token: 365 days fixed.
		Name: "LinkedIn", AuthorizePath: "/oauth/v2/authorization", TokenPath: "/oauth/v2/accessToken", AuthMethod: ClientSecretPost,
		AccessTTL: 60 * day, RefreshTTL: 365 * day, Reusable: true,
		Resources: map[string]string{"GET /v2/userinfo": `{"sub":"{sub}","name":"{name}","email":"{email}","email_verified":true}`},
		AuthHost:  "www.linkedin.com", Account: "Demo User (demo.user@oauth.example)",
	},
	"oauth2-airtable": {
		Name: "Airtable", AuthorizePath: "/oauth2/v1/authorize", TokenPath: "/oauth2/v1/token", AuthMethod: ClientSecretBasic,
		// The previous access token is invalidated on refresh.
		PKCERequired: true, Answer: map[string]any{"refresh_expires_in": 5184000}, RefreshEnds: 5184000 * time.Second, RefreshRevokesAccess: true,
		Resources: map[string]string{"GET /v0/meta/whoami": `{"id":"usrL2PNC5o3H4lBEi","email":"{email}"}`},
		AuthHost:  "airtable.com", Account: "demo.user@oauth.example",
	},
	"oauth2-calendly": {
		Name: "Calendly", AuthorizePath: "/oauth/authorize", TokenPath: "/oauth/token", AuthMethod: ClientSecretPost,
		AccessTTL: 2 * hour,
		Answer: map[string]any{"owner": "https://api.calendly.com/users/EBHAAFHDCAEQTSEZ",
			"organization": "https://api.calendly.com/organizations/EBHAAFHDCAEQTSEZ"},
		Resources: map[string]string{"GET /users/me": `{"resource":{"uri":"https://api.calendly.com/users/EBHAAFHDCAEQTSEZ","name":"{name}","email":"{email}"}}`},
		AuthHost:  "auth.calendly.com", Account: "Demo User (demo.user@oauth.example)",
		Want: map[string]string{"owner": "https://api.calendly.com/users/EBHAAFHDCAEQTSEZ",
			"organization": "https://api.calendly.com/organizations/EBHAAFHDCAEQTSEZ"},
	},
	"oauth2-clickup": {
		Name: "ClickUp", AuthorizePath: "/api", TokenPath: "/api/v2/oauth/token", AuthMethod: ClientSecretPost,
		NeverExpires: true, NoRefresh: true,
		Resources: map[string]string{"GET /api/v2/user": `{"user":{"id":123,"username":"{name}","email":"{email}"}}`},
		AuthHost:  "app.clickup.com", Account: "Demo User (demo.user@oauth.example)",
	},
	"oauth2-zoho": {
		Name: "Zoho", AuthorizePath: "/oauth/v2/auth", TokenPath: "/oauth/v2/token", AuthMethod: ClientSecretPost,
		// A refresh token only with access_type=offline and prompt=consent
		// (without consent prompted, a second authorization gets none).
		OfflineParams: map[string]string{"access_type": "offline", "prompt": "consent"}, Reusable: true,
		Answer:    map[string]any{"api_domain": "https://www.zohoapis.eu"},
		Resources: map[string]string{"GET /oauth/user/info": `{"First_Name":"Demo","Last_Name":"User","Display_Name":"{name}","Email":"{email}","ZUID":20012345}`},
		Fields:    map[string]string{"zoho_dc": "eu"},
		AuthHost:  "accounts.zoho.eu", Account: "Demo User (demo.user@oauth.example)",
		Want: map[string]string{"api_domain": "https://www.zohoapis.eu"},
	},
	"oauth2-intercom": {
		Name: "Intercom", AuthorizePath: "/oauth", TokenPath: "/auth/eagle/token", AuthMethod: ClientSecretPost,
		NeverExpires: true, NoRefresh: true,
		Resources: map[string]string{"GET /me": `{"type":"admin","id":"991267","name":"{name}","email":"{email}","app":{"id_code":"abc123"}}`},
		// The US region, the default, is no part of the hosts at all.
		Fields:   map[string]string{"intercom_region": "us"},
		AuthHost: "app.intercom.com", Account: "Demo User (demo.user@oauth.example)",
	},
	"oauth2-webex": {
		Name: "Webex", AuthorizePath: "/v1/authorize", TokenPath: "/v1/access_token", AuthMethod: ClientSecretPost, Reusable: true,
		Resources: map[string]string{"GET /v1/people/me": `{"id":"Y2lzY29zcGFyazovL3VzL1BFT1BMRS8x","emails":["{email}"],"displayName":"{name}"}`},
		AuthHost:  "webexapis.com", Account: "Demo User (demo.user@oauth.example)",
	},
}
