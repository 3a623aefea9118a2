/* labelloop dashboard: theme toggle, disagreement search, prompt and candidates on click.
   Data text is only ever set with textContent; the page has no other script and makes no request. */
(function () {
  "use strict";
  var root = document.documentElement;
  var data = JSON.parse(document.getElementById("dashboard-data").textContent);

  function stored() { try { return window.localStorage.getItem("labelloop-dashboard-theme"); } catch (e) { return null; } }
  function store(v) { try { window.localStorage.setItem("labelloop-dashboard-theme", v); } catch (e) { /* file:// */ } }
  var saved = stored();
  if (saved === "dark" || saved === "light") { root.setAttribute("data-theme", saved); }
  function effective() {
    var t = root.getAttribute("data-theme");
    if (t === "dark" || t === "light") { return t; }
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }
  var button = document.getElementById("theme");
  function label() { button.textContent = effective() === "dark" ? "Light theme" : "Dark theme"; }
  button.addEventListener("click", function () {
    var next = effective() === "dark" ? "light" : "dark";
    root.setAttribute("data-theme", next);
    store(next);
    label();
  });
  label();

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function show(v) { return typeof v === "string" ? v : JSON.stringify(v); }

  // Long texts are folded: laying out hundreds of thousands of characters freezes the page. The rest waits in a
  // hidden element (no layout) until its "Show all" button is pressed; table cells come folded from the server.
  var FOLD = 4000;
  function thousands(n) { return String(n).replace(/\B(?=(\d{3})+$)/g, ","); }
  function sampleText(text) {
    text = String(text);
    var box = el("div", "sample-text");
    if (text.length <= FOLD) { box.textContent = text; return box; }
    var cut = FOLD; var c = text.charCodeAt(cut - 1);
    if (c >= 0xD800 && c <= 0xDBFF) { cut -= 1; }
    var rest = el("span", "fold-rest", text.slice(cut));
    rest.hidden = true;
    box.appendChild(document.createTextNode(text.slice(0, cut)));
    box.appendChild(rest);
    var wrap = el("div", "fold");
    var button = el("button", "show-all noprint", "Show all " + thousands(text.length) + " characters");
    button.type = "button";
    wrap.appendChild(box);
    wrap.appendChild(button);
    return wrap;
  }
  function isShowAll(e) { return e.target && e.target.closest ? e.target.closest("button.show-all") : null; }
  // captured before the rows see it: pressing "Show all" in a row does not open or close the row
  document.addEventListener("click", function (e) {
    var b = isShowAll(e);
    if (!b) { return; }
    e.stopPropagation();
    var fold = b.closest(".fold");
    var rest = fold && fold.querySelector(".fold-rest");
    if (rest) { rest.hidden = false; }
    b.remove();
  }, true);
  document.addEventListener("keydown", function (e) { if (isShowAll(e)) { e.stopPropagation(); } }, true);

  var table = document.getElementById("dtable");
  if (table) {
    var rows = Array.prototype.slice.call(table.querySelectorAll("tr.drow"));
    var haystack = rows.map(function (tr) {
      var d = data.disagreements[Number(tr.getAttribute("data-i"))];
      var s = data.samples[d.sample_id] || { prompt: [], candidates: [] };
      var parts = [d.sample_id, d.candidate_id || "", d.question];
      d.values.forEach(function (v) { parts.push(v.annotator, show(v.value)); });
      s.prompt.forEach(function (m) { parts.push(m.content); });
      return parts.join("\n").toLowerCase();
    });
    var count = document.getElementById("dcount");
    var search = document.getElementById("dsearch");
    function filter() {
      var q = search.value.trim().toLowerCase();
      var shown = 0;
      rows.forEach(function (tr, i) {
        var ok = !q || haystack[i].indexOf(q) >= 0;
        tr.hidden = !ok;
        var next = tr.nextElementSibling;
        if (next && next.classList.contains("detail")) { next.hidden = !ok; }
        if (ok) { shown += 1; }
      });
      count.textContent = q ? shown + " of " + rows.length + " rows match." : "";
    }
    search.addEventListener("input", filter);

    function toggle(tr) {
      var next = tr.nextElementSibling;
      if (next && next.classList.contains("detail")) { next.remove(); return; }
      var d = data.disagreements[Number(tr.getAttribute("data-i"))];
      var s = data.samples[d.sample_id];
      var row = el("tr", "detail");
      var td = el("td");
      td.colSpan = 5;
      if (!s) {
        td.appendChild(el("p", "muted", "This sample is not in the dataset."));
      } else {
        s.prompt.forEach(function (m) {
          td.appendChild(el("h4", "", m.role));
          td.appendChild(sampleText(m.content));
        });
        s.candidates.forEach(function (c) {
          var box = el("div", "cand");
          var head = el("div", "cid", "candidate " + c.id + (c.model ? " · " + c.model : ""));
          if (d.candidate_id === c.id) { head.textContent += " (this item)"; }
          box.appendChild(head);
          box.appendChild(sampleText(c.content));
          td.appendChild(box);
        });
      }
      row.appendChild(td);
      tr.parentNode.insertBefore(row, tr.nextSibling);
    }
    rows.forEach(function (tr) {
      tr.addEventListener("click", function () { toggle(tr); });
      tr.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); toggle(tr); }
      });
    });
  }
  root.setAttribute("data-loaded", "1");
})();
