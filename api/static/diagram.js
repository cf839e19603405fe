// Zoom and pan for the process diagram: the SVG keeps its viewBox and is drawn at a scale (its
// CSS size); the frame scrolls (touch and wheel pan natively, a mouse drags). A new drawing (the
// editor's live validation replaces it) keeps the current scale.
(function () {
  "use strict";
  var view = document.getElementById("diagram");
  if (!view) return;
  var scale = 1;
  var box = view.closest(".diagram-box") || document;

  function svg() { return view.querySelector("svg.diagram"); }

  function apply() {
    var s = svg();
    if (!s || !s.viewBox || !s.viewBox.baseVal) return;
    var vb = s.viewBox.baseVal;
    s.style.width = (vb.width * scale) + "px";
    s.style.height = (vb.height * scale) + "px";
  }

  function zoom(factor) {
    var cx = (view.scrollLeft + view.clientWidth / 2) / scale;
    var cy = (view.scrollTop + view.clientHeight / 2) / scale;
    scale = Math.min(4, Math.max(0.2, scale * factor));
    apply();
    view.scrollLeft = cx * scale - view.clientWidth / 2;
    view.scrollTop = cy * scale - view.clientHeight / 2;
  }

  function reset() {
    scale = 1;
    apply();
    view.scrollTop = 0;
    var start = view.querySelector("svg.diagram g.start");
    if (!start) { view.scrollLeft = 0; return; }
    var r = start.getBoundingClientRect(), v = view.getBoundingClientRect();
    view.scrollLeft += r.left + r.width / 2 - (v.left + view.clientWidth / 2);
  }

  box.querySelectorAll("[data-zoom]").forEach(function (b) {
    b.addEventListener("click", function () {
      var z = b.getAttribute("data-zoom");
      if (z === "in") zoom(1.25);
      else if (z === "out") zoom(1 / 1.25);
      else reset();
    });
  });

  var drag = null;
  view.addEventListener("pointerdown", function (e) {
    if (e.pointerType !== "mouse" || e.button !== 0) return;
    drag = { x: e.clientX, y: e.clientY, left: view.scrollLeft, top: view.scrollTop };
    view.classList.add("dragging");
  });
  window.addEventListener("pointermove", function (e) {
    if (!drag) return;
    view.scrollLeft = drag.left - (e.clientX - drag.x);
    view.scrollTop = drag.top - (e.clientY - drag.y);
  });
  window.addEventListener("pointerup", function () {
    drag = null;
    view.classList.remove("dragging");
  });
  view.addEventListener("keydown", function (e) {
    if (e.key === "+") { zoom(1.25); e.preventDefault(); }
    else if (e.key === "-") { zoom(1 / 1.25); e.preventDefault(); }
  });

  new MutationObserver(apply).observe(view, { childList: true });
  reset();
})();
