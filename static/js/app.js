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
})();
