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
  // a battery statement is rated or "not applicable", not both: ticking N/A clears the
  // statement's tiles and tapping a tile clears N/A (without JavaScript the server says which
  // one to drop)
  var survey = document.getElementById("survey");
  if (survey) {
    survey.addEventListener("change", function (event) {
      var target = event.target;
      var card = target.closest(".q-battery");
      if (!card) {
        return;
      }
      if (target.type === "checkbox" && target.checked) {
        card.querySelectorAll("input[type=radio]").forEach(function (radio) {
          radio.checked = false;
        });
      } else if (target.type === "radio") {
        var na = card.querySelector(".na input");
        if (na) {
          na.checked = false;
        }
      }
    });
  }
  // preview forms look real but never submit
  document.querySelectorAll("form[data-inert]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
    });
  });
})();
