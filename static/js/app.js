// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // "Select all" in token lists.
  document.addEventListener("change", function (e) {
    var all = e.target.closest("[data-select-all]");
    if (!all) return;
    document.querySelectorAll("input[name=id]").forEach(function (box) { box.checked = all.checked; });
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
    navigator.clipboard.writeText(src.textContent.trim()).then(function () {
      btn.textContent = "Copied";
    }, function () {
      btn.textContent = "Copy failed: select the text instead";
    });
  });
})();
