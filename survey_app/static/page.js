/* Behaviour every page may use; a static file because the Content-Security-Policy allows no
   inline script (docs/security.md). */
(function () {
  "use strict";
  // the first invalid answer of a survey page (browsers that ignore autofocus, e.g. iOS Safari)
  var first = document.querySelector("[data-first-error]");
  if (first) {
    first.focus();
    first.scrollIntoView({ block: "center" });
  } else {
    // an error summary of an administration form takes the focus, so screen readers announce it
    var summary = document.querySelector("[data-focus-on-load]");
    if (summary) {
      summary.focus();
    }
  }
  // preview forms look real but never submit
  document.querySelectorAll("form[data-inert]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
    });
  });
})();
