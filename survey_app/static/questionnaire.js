/* The visitor questionnaire, progressively enhanced (a static file: the Content-Security-
   Policy allows no inline script).  Without JavaScript every question stays, with its note
   ("answer this if ..."), and the server checks everything; with it:
   - a question whose condition depends on an answer on this same page is hidden until the
     answer makes it apply (its inputs are disabled while hidden, so nothing is sent; the
     server discards such answers anyway);
   - a page whose numbers must add up (the 100-point split) shows the running total. */
(function () {
  "use strict";
  var form = document.getElementById("survey");
  if (!form) {
    return;
  }

  function valuesOf(name) {
    var inputs = form.querySelectorAll("[name='" + name.replace(/'/g, "\\'") + "']");
    var values = [];
    inputs.forEach(function (input) {
      if (input.disabled) {
        return;
      }
      if (input.type === "radio" || input.type === "checkbox") {
        if (input.checked) {
          values.push(input.value);
        }
      } else if (input.value.trim() !== "") {
        values.push(input.value.trim());
      }
    });
    return values;
  }

  function number(text) {
    return parseFloat(String(text).replace(",", "."));
  }

  // the same rules as instruments' evaluate(): a leaf on an unanswered item is false
  function holds(condition) {
    var op = condition.op;
    if (op === "const") {
      return condition.value;
    }
    if (op === "all") {
      return condition.conditions.every(holds);
    }
    if (op === "any") {
      return condition.conditions.some(holds);
    }
    var given = valuesOf(condition.field);
    if (op === "answered") {
      return (given.length > 0) === Boolean(condition.value);
    }
    if (!given.length) {
      return false;
    }
    var target = condition.value;
    var wanted = Array.isArray(target) ? target.map(String) : [String(target)];
    if (op === "eq") {
      return given.indexOf(wanted[0]) !== -1;
    }
    if (op === "ne") {
      return given.indexOf(wanted[0]) === -1;
    }
    if (op === "in") {
      return given.some(function (v) { return wanted.indexOf(v) !== -1; });
    }
    if (op === "gt") {
      return number(given[0]) > number(target);
    }
    if (op === "lt") {
      return number(given[0]) < number(target);
    }
    return true;
  }

  var conditional = Array.prototype.slice.call(form.querySelectorAll("[data-show-if]"));
  conditional.forEach(function (wrap) {
    wrap.condition = JSON.parse(wrap.getAttribute("data-show-if"));
  });

  function applyConditions() {
    // in page order, so that a hidden question's own answer no longer counts for later ones
    conditional.forEach(function (wrap) {
      var applies = holds(wrap.condition);
      wrap.hidden = !applies;
      wrap.querySelectorAll("input, textarea, select").forEach(function (input) {
        input.disabled = !applies;
      });
    });
  }

  var total = document.getElementById("sum-total");
  var summed = total
    ? Array.prototype.slice.call(form.querySelectorAll(".q-number input"))
    : [];

  function updateTotal() {
    if (!total) {
      return;
    }
    var goal = number(total.getAttribute("data-sum-to"));
    var sum = 0;
    summed.forEach(function (input) {
      var value = number(input.value);
      if (!isNaN(value)) {
        sum += value;
      }
    });
    sum = Math.round(sum * 100) / 100;
    var key = sum < goal ? "data-left" : sum > goal ? "data-over" : "data-done";
    total.textContent = total.getAttribute(key)
      .replace("{sum}", String(sum))
      .replace("{left}", String(Math.round((goal - sum) * 100) / 100))
      .replace("{over}", String(Math.round((sum - goal) * 100) / 100));
    total.classList.toggle("sum-off", sum !== goal);
    total.classList.toggle("sum-done", sum === goal);
  }

  if (total) {
    total.hidden = false;
  }
  form.addEventListener("change", applyConditions);
  form.addEventListener("input", updateTotal);
  applyConditions();
  updateTotal();
})();
