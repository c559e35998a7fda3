/* The mock interview page: a running timer, then keys reveal the short answer, each follow-up
   (its question, then its expected answer), the pitfalls; 1-4 post the grade.
   Keys are ignored while typing in the answer box (Esc leaves it; Ctrl+Enter reveals). */
(function () {
  "use strict";
  function clock(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    return Math.floor(s / 60) + ":" + (s % 60 < 10 ? "0" : "") + (s % 60);
  }
  document.addEventListener("DOMContentLoaded", function () {
    var root = document.getElementById("interview");
    if (!root) return;
    var t0 = Date.now();
    var timer = document.getElementById("timer");
    var reveal = document.getElementById("reveal");
    var shortPart = document.getElementById("iv-short");
    var controls = document.getElementById("iv-controls");
    var form = document.getElementById("iv-grade");
    var steps = Array.prototype.slice.call(root.querySelectorAll(".iv-step"));
    var seen = 0;
    // the server's start time would be off by the page load; the timer starts at first paint
    document.getElementById("iv-started").value = String(t0);
    var tick = setInterval(function () { timer.textContent = clock(Date.now() - t0); }, 250);

    function showShort() {
      if (!shortPart.hidden) return;
      var ms = Date.now() - t0;
      document.getElementById("iv-answer-ms").value = String(ms);
      document.getElementById("answer-time").textContent = clock(ms);
      document.getElementById("answered-in").hidden = false;
      shortPart.hidden = false;
      controls.hidden = false;
      reveal.hidden = true;
      root.classList.add("revealed");
      document.getElementById("typed").readOnly = true;
    }
    function reveal1(el) {
      el.hidden = false;
      if (el.getAttribute("data-step") === "prompt") {
        seen += 1;
        document.getElementById("iv-seen").value = String(seen);
      }
      el.scrollIntoView({block: "nearest"});
      if (window.dlproofFitMath) window.dlproofFitMath();
    }
    function next() {
      if (shortPart.hidden) { showShort(); return; }
      for (var i = 0; i < steps.length; i++) {
        if (steps[i].hidden) { reveal1(steps[i]); break; }
      }
      if (steps.every(function (s) { return !s.hidden; })) {
        document.getElementById("iv-next").hidden = true;
        document.getElementById("iv-skip").hidden = true;
      }
    }
    function skip() {
      if (shortPart.hidden) return;
      var pit = document.getElementById("iv-pitfalls");
      reveal1(pit);
      document.getElementById("iv-next").hidden = true;
      document.getElementById("iv-skip").hidden = true;
    }
    function grade(key) {
      var b = form.querySelector("button[value='" + key + "']");
      if (b && !form.dataset.sent) { form.dataset.sent = "1"; clearInterval(tick); form.requestSubmit(b); }
    }
    reveal.addEventListener("click", showShort);
    document.getElementById("iv-next").addEventListener("click", next);
    document.getElementById("iv-skip").addEventListener("click", skip);
    form.addEventListener("submit", function () { form.dataset.sent = "1"; });
    document.addEventListener("keydown", function (ev) {
      var t = ev.target;
      if (t && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA")) {
        if (ev.key === "Escape") { t.blur(); ev.preventDefault(); }
        else if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { t.blur(); ev.preventDefault(); showShort(); }
        return;
      }
      if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
      if (t && t.tagName === "BUTTON" && (ev.key === "Enter" || ev.key === " ")) return;  // its click
      if (ev.key === " " || ev.key === "Spacebar" || ev.key === "Enter") { ev.preventDefault(); next(); return; }
      if (ev.key === "s" || ev.key === "S") { ev.preventDefault(); skip(); return; }
      if (!shortPart.hidden && /^[1-4]$/.test(ev.key)) { ev.preventDefault(); grade(ev.key); }
    });
  });
})();
