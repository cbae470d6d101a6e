package main

import (
	"github.com/tokendesk/tokendesk/internal/provider/oauth/oauthtest"
	"github.com/tokendesk/tokendesk/internal/provider/redox/redoxtest"
	"github.com/tokendesk/tokendesk/internal/provider/zoom/zoomtest"
)

// The demo credentials `tokendesk emulate` prints: each emulator declares
// its own (the command names none); the tests type them.
const (
	demoRedoxKey         = redoxtest.DemoAPIKey
	demoRedoxSecret      = redoxtest.DemoSecret
	demoRedoxClient      = redoxtest.DemoClientID
	demoRedoxKeyID       = redoxtest.DemoKeyID
	demoRedoxShared      = redoxtest.DemoSharedSecret
	demoZoomKey          = zoomtest.DemoAPIKey
	demoZoomSecret       = zoomtest.DemoAPISecret
	demoZoomAccount      = zoomtest.DemoAccount
	demoZoomClient       = zoomtest.DemoClientID
	demoZoomClientSecret = zoomtest.DemoClientSecret
	demoZoomUserClient   = zoomtest.DemoUserClientID
	demoZoomUserSecret   = zoomtest.DemoUserClientSecret
	demoOAuthClient      = oauthtest.DemoClientID
	demoOAuthSecret      = oauthtest.DemoClientSecret
	demoOAuthPostClient  = oauthtest.DemoPostClientID
	demoOAuthPostSecret  = oauthtest.DemoPostClientSecret
	demoOAuthJWTClient   = oauthtest.DemoJWTClientID
)
