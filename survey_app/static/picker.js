/* The campaign form's library choice (progressive enhancement; a static file because the
   Content-Security-Policy allows no inline script).  Without JavaScript every list is shown
   and the server refuses ticks in a list the chosen way ignores; with it:
   - only the list of the selected way is shown, the others are hidden and disabled, so what
     is sent is what is seen;
   - the library list gets a search box (name or address, across all systems), a button per
     library system that ticks or unticks all of its libraries, and a live count
     "Chosen: 40 libraries in 12 systems". */
(function () {
  "use strict";
  var form = document.getElementById("campaign-form");
  if (!form) {
    return;
  }
  var picks = form.querySelectorAll(".pick[data-pick]");

  function showChosenList() {
    var selected = form.querySelector("input[name=choice]:checked");
    var way = selected ? selected.value : "all";
    picks.forEach(function (pick) {
      var shown = pick.getAttribute("data-pick") === way;
      pick.hidden = !shown;
      pick.querySelectorAll("input").forEach(function (input) {
        input.disabled = !shown;
      });
    });
  }
  form.querySelectorAll("input[name=choice]").forEach(function (radio) {
    radio.addEventListener("change", showChosenList);
  });
  showChosenList();

  var picker = form.querySelector(".library-picker");
  if (!picker) {
    return;
  }
  var tools = picker.querySelector(".picker-tools");
  var search = document.getElementById("library-search");
  var count = document.getElementById("library-count");
  var groups = Array.prototype.slice.call(picker.querySelectorAll(".system-group"));
  var rules = window.Intl && Intl.PluralRules ? new Intl.PluralRules(document.documentElement.lang || "ru") : null;
  tools.hidden = false;

  function plural(kind, n) {
    var category = rules ? rules.select(n) : (n === 1 ? "one" : "other");
    var text = count.getAttribute("data-" + kind + "-" + category) ||
      count.getAttribute("data-" + kind + "-other");
    return text.replace("{n}", String(n));
  }

  function fold(text) {
    return text.toLocaleLowerCase().replace(/ё/g, "е");
  }

  function boxes(group) {
    return Array.prototype.slice.call(group.querySelectorAll("input[type=checkbox]"));
  }

  function refresh() {
    var libraries = 0;
    var systems = 0;
    groups.forEach(function (group) {
      var all = boxes(group);
      var ticked = all.filter(function (box) { return box.checked; }).length;
      libraries += ticked;
      systems += ticked ? 1 : 0;
      var button = group.querySelector(".select-system");
      var full = ticked === all.length;
      button.textContent = button.getAttribute(full ? "data-label-none" : "data-label-all");
      button.setAttribute("aria-pressed", full ? "true" : "false");
    });
    var text = libraries
      ? count.getAttribute("data-prefix") + " " + plural("libraries", libraries) + " " + plural("systems", systems) + "."
      : count.getAttribute("data-none");
    if (search.value.trim() && !groups.some(function (group) { return !group.hidden; })) {
      text = count.getAttribute("data-no-match") + " " + text;
    }
    count.textContent = text;
  }

  groups.forEach(function (group) {
    var button = group.querySelector(".select-system");
    button.hidden = false;
    button.addEventListener("click", function () {
      var all = boxes(group);
      var full = all.every(function (box) { return box.checked; });
      all.forEach(function (box) { box.checked = !full; });
      refresh();
    });
  });
  picker.addEventListener("change", refresh);

  search.addEventListener("input", function () {
    var wanted = fold(search.value.trim());
    groups.forEach(function (group) {
      var systemName = fold(group.querySelector("summary").textContent);
      var matches = 0;
      group.querySelectorAll("li").forEach(function (item) {
        var hit = !wanted || systemName.indexOf(wanted) !== -1 || fold(item.textContent).indexOf(wanted) !== -1;
        item.hidden = !hit;
        matches += hit ? 1 : 0;
      });
      group.hidden = matches === 0;
      if (wanted) {
        group.open = matches > 0;
      }
    });
    refresh();
  });
  // Enter in the search box must not send the form
  search.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      event.preventDefault();
    }
  });
  refresh();
})();
