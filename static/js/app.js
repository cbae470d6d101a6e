// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // "Select all" in token lists.
  document.addEventListener("change", function (e) {
    var all = e.target.closest("[data-select-all]");
    if (!all) return;
    document.querySelectorAll("input[name=id]").forEach(function (box) { box.checked = all.checked; });
  });
  // Copy buttons next to read-only values (a JWKS URL, a public key).
  document.addEventListener("click", function (e) {
    var btn = e.target.closest("[data-copy]");
    if (!btn) return;
    var field = document.getElementById(btn.getAttribute("data-copy"));
    if (!field) return;
    field.select();
    if (navigator.clipboard) navigator.clipboard.writeText(field.value);
    else document.execCommand("copy");
    btn.setAttribute("aria-live", "polite");
    btn.textContent = "Copied";
  });
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
})();
