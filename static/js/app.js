// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // "Select all" in token lists, and the toolbar buttons that need a
  // selection: Edit Token exactly one row, Remove Tokens at least one.
  // Without this script the server says what to select instead.
  function syncSelection() {
    var n = document.querySelectorAll("input[name=id]:checked").length;
    document.querySelectorAll("[data-needs-one]").forEach(function (b) { b.disabled = n !== 1; });
    document.querySelectorAll("[data-needs-some]").forEach(function (b) { b.disabled = n === 0; });
  }
  document.addEventListener("change", function (e) {
    var all = e.target.closest("[data-select-all]");
    if (all) {
      document.querySelectorAll("input[name=id]").forEach(function (box) { box.checked = all.checked; });
    }
    if (e.target.name === "id" || all) syncSelection();
  });
  // List filters (Type, Status, the audit log's choices) apply as soon as
  // one is chosen; their form's button does it without this script.
  document.addEventListener("change", function (e) {
    var sel = e.target.closest("select[data-apply-on-change]");
    if (!sel || !sel.form) return;
    if (sel.form.requestSubmit) sel.form.requestSubmit(); else sel.form.submit();
  });
  // Permission Settings: ticking an app chooses "Only the chosen apps";
  // choosing "Every app" clears the ticks, so that what is sent is what
  // the form shows (the server reads a tick under "Every app" as a choice).
  document.addEventListener("change", function (e) {
    var t = e.target;
    var radio = t.getAttribute && document.getElementById(t.getAttribute("data-chooses") || "");
    if (radio && t.checked) radio.checked = true;
    if (t.id === "access-every" && t.checked) {
      document.querySelectorAll("input[data-chooses]").forEach(function (box) { box.checked = false; });
    }
  });
  // Fields that apply to some choices of another field only (data-when
  // names its control) hide for the others; a field required whenever it
  // applies shows its mark with it. Without this script they all show,
  // each saying when it applies.
  function syncWhen() {
    document.querySelectorAll("[data-when]").forEach(function (wrap) {
      var ctl = document.getElementById(wrap.getAttribute("data-when"));
      if (!ctl) return;
      var on = wrap.getAttribute("data-when-values").split(" ").indexOf(ctl.value) >= 0;
      wrap.hidden = !on;
      var marks = wrap.querySelectorAll(".req");
      marks.forEach(function (mark) { mark.hidden = !on; });
      var input = wrap.querySelector("[aria-required]");
      if (marks.length && input) input.setAttribute("aria-required", String(on));
    });
  }
  document.addEventListener("change", function (e) {
    if (e.target.id && document.querySelector('[data-when="' + e.target.id + '"]')) syncWhen();
  });
  document.addEventListener("htmx:afterSettle", syncWhen);
  // "/" jumps to the search box, unless the person is typing somewhere.
  document.addEventListener("keydown", function (e) {
    if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey) return;
    var t = e.target;
    if (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName)) return;
    var q = document.querySelector("[data-search-key]");
    if (!q) return;
    e.preventDefault();
    q.focus();
    q.select();
  });
  // A form with unsaved work (edits, or a token obtained or secrets kept
  // in its sealed pending field) asks before the page is left any way:
  // Cancel with its own question, anything else (a link, reload, closing
  // the tab) through the browser's. Submitting the form itself is saving,
  // or a step of it (a button, a trip to a consent page), and never asks.
  var dirty = false, leaving = false;
  function unsaved() {
    var form = document.querySelector("[data-warn-unsaved]");
    if (!form || leaving) return false;
    var pending = form.querySelector("input[name=pending]");
    return dirty || !!(pending && pending.value);
  }
  document.addEventListener("input", function (e) {
    if (e.target.closest("[data-warn-unsaved]")) dirty = true;
  });
  document.addEventListener("change", function (e) {
    if (e.target.closest("[data-warn-unsaved]")) dirty = true;
  });
  document.addEventListener("click", function (e) {
    var link = e.target.closest("[data-confirm-discard]");
    if (!link || !unsaved()) return;
    if (window.confirm(link.getAttribute("data-confirm-discard"))) leaving = true;
    else e.preventDefault();
  });
  document.addEventListener("submit", function (e) {
    if (e.target.hasAttribute("data-warn-unsaved")) leaving = true;
  });
  // htmx follows HX-Redirect (to a consent page) by itself.
  document.addEventListener("htmx:beforeOnLoad", function (e) {
    var xhr = e.detail && e.detail.xhr;
    if (xhr && xhr.getResponseHeader("HX-Redirect")) leaving = true;
  });
  window.addEventListener("beforeunload", function (e) {
    if (!unsaved()) return;
    e.preventDefault();
    e.returnValue = "";
  });
  // Times: the exact moment on hover in the browser's own time zone.
  // A time marked data-local (a token's page) also reads in that zone,
  // with the exact second on hover; the server wrote it in UTC.
  function localTimes() {
    var fmt = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short" });
    var exact = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "long" });
    document.querySelectorAll("time[datetime]").forEach(function (el) {
      var d = new Date(el.getAttribute("datetime"));
      if (isNaN(d)) return;
      if (el.hasAttribute("data-local")) {
        el.textContent = fmt.format(d);
        el.title = exact.format(d) + " (" + el.title + ")";
      } else {
        el.title = fmt.format(d);
      }
    });
  }
  // On a narrow screen the navigation scrolls sideways: show where you are.
  function showCurrentNav() {
    var cur = document.querySelector('nav[aria-label=Main] [aria-current="page"]');
    var nav = cur && cur.closest("nav");
    if (nav && nav.scrollWidth > nav.clientWidth) nav.scrollLeft = cur.offsetLeft - nav.offsetLeft - 8;
  }
  document.addEventListener("DOMContentLoaded", function () { syncSelection(); localTimes(); showCurrentNav(); syncWhen(); });
  // Show that a submitted form is being worked on, and prevent double posts.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form.hasAttribute("hx-post")) return;
    var btn = e.submitter;
    if (btn && !btn.hasAttribute("data-no-busy")) {
      setTimeout(function () { btn.disabled = true; btn.setAttribute("aria-busy", "true"); }, 0);
    }
  });
  // Export: encrypting a file with secrets takes seconds and ends in a
  // download, which leaves the page as it was: no sign of progress, and a
  // refused attempt's error stayed on screen after the next one worked.
  // The form is posted in the background instead: the button says
  // "Encrypting…" meanwhile, the last attempt's errors go as soon as a new
  // one starts, and a refused form comes back as the server wrote it.
  function clearErrors(form) {
    form.querySelectorAll(".field-error").forEach(function (p) { p.remove(); });
    form.querySelectorAll(".has-error").forEach(function (f) { f.classList.remove("has-error"); });
    form.querySelectorAll("[aria-invalid=true]").forEach(function (input) {
      input.setAttribute("aria-invalid", "false");
      var hint = document.getElementById(input.id + "-hint");
      if (hint) input.setAttribute("aria-describedby", hint.id); else input.removeAttribute("aria-describedby");
    });
  }
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.hasAttribute("data-export") || !window.fetch || !window.FormData || !window.URLSearchParams) return;
    e.preventDefault();
    var btn = form.querySelector("[data-busy-text]");
    if (!btn || btn.disabled) return;
    var label = btn.querySelector("[data-label]");
    var status = form.querySelector("[data-export-status]");
    var secrets = form.querySelector("input[name=secrets]");
    var encrypting = !!(secrets && secrets.checked);
    var before = label.textContent;
    clearErrors(form);
    btn.disabled = true;
    btn.setAttribute("aria-busy", "true");
    label.textContent = encrypting ? btn.getAttribute("data-busy-text") : "Preparing…";
    if (status) status.textContent = encrypting ? "Encrypting the file; the download starts when it is ready." : "";
    function done(text) {
      btn.disabled = false;
      btn.removeAttribute("aria-busy");
      label.textContent = before;
      if (status) status.textContent = text;
    }
    fetch(form.action, { method: "POST", body: new URLSearchParams(new FormData(form)), credentials: "same-origin" }).then(function (r) {
      var cd = r.headers.get("Content-Disposition") || "";
      if (r.ok && cd.indexOf("attachment") === 0) {
        var name = /filename="([^"]+)"/.exec(cd);
        return r.blob().then(function (blob) {
          var a = document.createElement("a");
          a.href = URL.createObjectURL(blob);
          a.download = name ? name[1] : "tokendesk-tokens.json";
          document.body.appendChild(a);
          a.click();
          a.remove();
          setTimeout(function () { URL.revokeObjectURL(a.href); }, 10000);
          form.querySelectorAll("input[type=password]").forEach(function (p) { p.value = ""; });
          done("The file " + a.download + " is downloaded.");
        });
      }
      return r.text().then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.querySelector("form[data-export]");
        if (r.status === 422 && fresh) {
          // The passphrase was refused: the server's form, errors and all.
          form.replaceWith(fresh);
          var bad = fresh.querySelector("[aria-invalid=true]");
          if (bad) bad.focus();
          return;
        }
        // Anything else (a refusal, an expired session): the page itself.
        document.title = doc.title;
        document.body.replaceWith(doc.body);
      });
    }).catch(function () {
      done("tokendesk did not answer. Check your connection and try again.");
    });
  });
  // When an in-place request fails, say so where its result would have gone.
  function failed(e, text) {
    var target = e.detail && e.detail.target;
    if (!target) return;
    var p = document.createElement("div");
    p.className = "result result-bad";
    p.setAttribute("role", "status");
    p.textContent = text;
    target.replaceChildren(p);
  }
  document.addEventListener("htmx:responseError", function (e) {
    failed(e, "The request failed (HTTP " + e.detail.xhr.status + "). Reload the page and try again.");
  });
  document.addEventListener("htmx:sendError", function (e) {
    failed(e, "tokendesk did not answer. Check your connection and try again.");
  });
  // Copy buttons ([data-copy] names the element whose text to copy); they
  // stay hidden without JavaScript, where the value is selected by hand.
  document.querySelectorAll("[data-copy]").forEach(function (btn) {
    if (navigator.clipboard) btn.hidden = false;
  });
  document.addEventListener("click", function (e) {
    var btn = e.target.closest("[data-copy]");
    if (!btn) return;
    var src = document.getElementById(btn.getAttribute("data-copy"));
    if (!src) return;
    // An input or text area (a JWKS URL, a PEM key) copies its value.
    var text = src.value !== undefined ? src.value : src.textContent;
    if (src.select) src.select();
    navigator.clipboard.writeText(text.trim()).then(function () {
      btn.textContent = "Copied";
    }, function () {
      btn.textContent = "Copy failed: select the text instead";
    });
  });
  // Add Token's picker: the search filters the cards as one types, as the
  // server does for the search form without this script (every word
  // somewhere in a card's name, description, group or other names).
  document.addEventListener("input", function (e) {
    var form = e.target.closest("[data-picker-search]");
    if (!form || e.target.name !== "q") return;
    var words = e.target.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0, total = 0;
    document.querySelectorAll("[data-picker-group]").forEach(function (g) {
      var any = false;
      g.querySelectorAll("[data-picker-card]").forEach(function (card) {
        var text = card.getAttribute("data-search") || "";
        var ok = words.every(function (w) { return text.indexOf(w) >= 0; });
        card.hidden = !ok;
        total++;
        if (ok) { shown++; any = true; }
      });
      g.hidden = !any;
    });
    var count = document.querySelector("[data-picker-count]");
    if (count) count.textContent = words.length ? shown + " of " + total + " services match." : total + " services.";
  });
})();
