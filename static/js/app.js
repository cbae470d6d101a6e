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
  // Cancel on a form with unsaved edits asks before throwing them away.
  var dirty = false;
  document.addEventListener("input", function (e) {
    if (e.target.closest("[data-warn-unsaved]")) dirty = true;
  });
  document.addEventListener("change", function (e) {
    if (e.target.closest("[data-warn-unsaved]")) dirty = true;
  });
  document.addEventListener("click", function (e) {
    var link = e.target.closest("[data-confirm-discard]");
    if (link && dirty && !window.confirm(link.getAttribute("data-confirm-discard"))) e.preventDefault();
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
  document.addEventListener("DOMContentLoaded", function () { syncSelection(); localTimes(); showCurrentNav(); });
  // Show that a submitted form is being worked on, and prevent double posts.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form.hasAttribute("hx-post")) return;
    var btn = e.submitter;
    if (btn && !btn.hasAttribute("data-no-busy")) {
      setTimeout(function () { btn.disabled = true; btn.setAttribute("aria-busy", "true"); }, 0);
    }
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
})();
