// Passkeys: adding one on Your account, and the second step of signing in
// with one. WebAuthn needs script; without it the page offers codes. The
// browser's own JSON helpers (parse…OptionsFromJSON, toJSON) carry the
// options and answers; the server (go-webauthn) checks everything.
(function () {
  "use strict";
  if (!window.PublicKeyCredential || !PublicKeyCredential.parseCreationOptionsFromJSON) {
    return;
  }
  function csrf() {
    var input = document.querySelector('input[name="_csrf"]');
    return input ? input.value : "";
  }
  function say(msg) {
    var s = document.getElementById("passkey-status");
    if (s) s.textContent = msg;
  }
  async function post(url, body) {
    var r = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf(), "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(body || {}),
    });
    var answer = await r.json().catch(function () { return {}; });
    if (!r.ok) throw new Error(answer.error || "That did not work. Try again.");
    return answer;
  }
  function failed(e) {
    // A person who closes the browser's prompt gets NotAllowedError.
    say(e && e.name === "NotAllowedError" ? "Cancelled, or the passkey did not answer. Try again." : (e && e.message) || String(e));
  }

  var add = document.getElementById("passkey-add");
  if (add) {
    add.hidden = false;
    add.addEventListener("click", async function () {
      try {
        say("Follow your browser's prompt…");
        var pw = document.getElementById("passkey-password");
        var options = await post("/account/passkeys/options", { password: pw ? pw.value : "" });
        var keep = document.querySelector('#passkey-recovery input[name="recovery-password"]');
        if (keep && pw) keep.value = pw.value;
        var cred = await navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options.publicKey) });
        var done = await post("/account/passkeys", cred.toJSON());
        if (done.recovery) {
          document.getElementById("passkey-recovery").submit();
        } else {
          window.location.assign("/account");
        }
      } catch (e) {
        failed(e);
      }
    });
  }

  var use = document.getElementById("passkey-signin");
  if (use) {
    use.hidden = false;
    use.addEventListener("click", async function () {
      try {
        say("Follow your browser's prompt…");
        var options = await post("/login/passkey/options");
        var cred = await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options.publicKey) });
        var done = await post("/login/passkey", cred.toJSON());
        window.location.assign(done.redirect);
      } catch (e) {
        failed(e);
      }
    });
  }
})();
