// Live validation for the definition editor: the server runs the same validator as
// `python -m engine validate` and answers with located problems and, when valid, the diagram.
(function () {
  "use strict";
  var area = document.getElementById("yaml");
  if (!area) return;
  var gutter = document.getElementById("gutter");
  var status = document.getElementById("validering-status");
  var list = document.getElementById("problem-lista");
  var diagram = document.getElementById("diagram");
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var errorLines = {};
  var timer = null;
  var seq = 0;

  function drawGutter() {
    var n = area.value.split("\n").length;
    var out = [];
    for (var i = 1; i <= n; i++) {
      out.push(errorLines[i] ? '<span class="err">' + i + " !</span>" : String(i));
    }
    gutter.innerHTML = out.join("\n");
    gutter.scrollTop = area.scrollTop;
  }

  function goToLine(line) {
    var lines = area.value.split("\n");
    var start = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i++) start += lines[i].length + 1;
    var end = start + (lines[line - 1] || "").length;
    area.focus();
    area.setSelectionRange(start, end);
    var lineHeight = parseFloat(getComputedStyle(area).lineHeight) || 18;
    area.scrollTop = Math.max(0, (line - 5) * lineHeight);
    drawGutter();
  }

  function show(result) {
    errorLines = {};
    list.innerHTML = "";
    (result.problems || []).forEach(function (p) {
      if (p.line) errorLines[p.line] = true;
      var li = document.createElement("li");
      var b = document.createElement("button");
      b.type = "button";
      b.className = "link goto";
      b.dataset.line = p.line || "";
      b.textContent = "Rad " + (p.line || "?");
      li.appendChild(b);
      li.appendChild(document.createTextNode(": " + p.message + (p.path ? " (" + p.path + ")" : "")));
      list.appendChild(li);
    });
    if (result.ok) {
      status.textContent = "Inga fel.";
      status.className = "good";
      if (result.svg) diagram.innerHTML = result.svg;
    } else {
      var n = (result.problems || []).length;
      status.textContent = n + " fel i definitionen.";
      status.className = "bad";
    }
    drawGutter();
  }

  function validate() {
    var mine = ++seq;
    fetch("/admin/validera", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, "Accept": "application/json" },
      body: JSON.stringify({ yaml: area.value })
    }).then(function (r) { return r.json(); }).then(function (result) {
      if (mine === seq) show(result);
    }).catch(function () {
      status.textContent = "Kunde inte kontrollera just nu.";
      status.className = "bad";
    });
  }

  area.addEventListener("input", function () {
    drawGutter();
    clearTimeout(timer);
    timer = setTimeout(validate, 400);
  });
  area.addEventListener("scroll", function () { gutter.scrollTop = area.scrollTop; });
  list.addEventListener("click", function (ev) {
    var b = ev.target.closest("button.goto");
    if (b && b.dataset.line) goToLine(parseInt(b.dataset.line, 10));
  });
  // Tab inserts two spaces (YAML); Escape then Tab leaves the field (keyboard users are not trapped).
  var escaped = false;
  area.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape") { escaped = true; return; }
    if (ev.key === "Tab" && !ev.shiftKey && !escaped) {
      ev.preventDefault();
      var s = area.selectionStart;
      area.setRangeText("  ", s, area.selectionEnd, "end");
      area.dispatchEvent(new Event("input"));
    }
    if (ev.key !== "Tab") escaped = false;
  });
  Array.prototype.forEach.call(document.querySelectorAll("#problem-lista button.goto"), function (b) {
    if (b.dataset.line) errorLines[parseInt(b.dataset.line, 10)] = true;
  });
  drawGutter();
})();
