/* The region dashboard: while a recomputation runs, poll its status and reload when done.
   A file because the CSP allows no inline script. */
(function () {
  var box = document.getElementById("run-progress");
  if (!box || !box.dataset.pending) { return; }
  function poll() {
    fetch(box.dataset.statusUrl, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        if (!data.pending) { window.location.reload(); return; }
        var pct = Math.round(100 * data.pending.progress);
        var bar = box.querySelector("progress");
        var text = box.querySelector(".num");
        if (bar) { bar.value = pct; bar.textContent = pct + " %"; }
        if (text) { text.textContent = pct + " %"; }
        window.setTimeout(poll, 2000);
      });
  }
  window.setTimeout(poll, 2000);
})();
