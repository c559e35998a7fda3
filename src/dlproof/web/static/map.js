// The question map: focus a topic's branch (click / Enter on a topic node or its button), zoom.
(function () {
  "use strict";
  function init() {
    var svg = document.getElementById("qmap");
    var box = document.getElementById("map-scroll");
    if (!svg || !box) return;
    var zoom = 1;
    function focus(topic) {
      var same = svg.getAttribute("data-focus") === topic;
      if (same || !topic) svg.removeAttribute("data-focus");
      else svg.setAttribute("data-focus", topic);
      var on = svg.getAttribute("data-focus");
      svg.querySelectorAll(".branch").forEach(function (g) {
        g.classList.toggle("on", g.getAttribute("data-topic") === on);
      });
      document.querySelectorAll(".topic-focus").forEach(function (b) {
        b.setAttribute("aria-pressed", b.getAttribute("data-topic") === on ? "true" : "false");
      });
    }
    svg.querySelectorAll(".topic").forEach(function (t) {
      t.addEventListener("click", function () { focus(t.getAttribute("data-topic")); });
      t.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); focus(t.getAttribute("data-topic")); }
      });
    });
    document.querySelectorAll(".topic-focus").forEach(function (b) {
      b.addEventListener("click", function () { focus(b.getAttribute("data-topic")); });
    });
    document.querySelectorAll("[data-zoom]").forEach(function (b) {
      b.addEventListener("click", function () {
        var how = b.getAttribute("data-zoom");
        zoom = how === "in" ? Math.min(zoom * 1.5, 6) : how === "out" ? Math.max(zoom / 1.5, 1) : 1;
        svg.style.width = (100 * zoom) + "%";
      });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
