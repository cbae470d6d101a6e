package web

import "testing"

// Every action tokendesk records reads as a sentence in the Audit Log,
// not as the fallback made from its code.
func TestEveryRecordedActionHasASentence(t *testing.T) {
	for _, action := range []string{
		"app.create", "app.delete", "app.update", "client.create", "client.revoke",
		"key.master", "key.rotate.finish", "key.rotate.start", "session.end", "settings.update",
		"token.create", "token.delete", "token.needs_reconnect", "token.permissions", "token.renew",
		"token.renew.failed", "token.update", "tokens.export", "tokens.import",
		"user.create", "user.password", "user.update",
		"webhook.create", "webhook.delete", "webhook.secret", "webhook.update",
	} {
		if _, ok := auditSentences[action]; !ok {
			t.Errorf("the Audit Log shows %q as %q: give it a sentence", action, auditSentence(action))
		}
	}
}
