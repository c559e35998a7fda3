/* dlproof pages: language toggle (remembered), Run buttons with progress, quiz keys. */
(function () {
  "use strict";
  var KEY = "dlproof_lang";
  function setLang(lang, remember) {
    if (lang !== "zh" && lang !== "en") return;
    var root = document.documentElement;
    root.setAttribute("data-lang", lang);
    root.setAttribute("lang", lang === "zh" ? "zh-CN" : "en");
    if (remember) {
      try { localStorage.setItem(KEY, lang); } catch (e) { /* file:// or private mode */ }
      document.cookie = KEY + "=" + lang + "; path=/; max-age=31536000; samesite=lax";
    }
    if (document.documentElement.getAttribute("data-math") === "done") fitMath();
    var btns = document.querySelectorAll("[data-set-lang]");
    for (var i = 0; i < btns.length; i++) {
      btns[i].setAttribute("aria-pressed", btns[i].getAttribute("data-set-lang") === lang ? "true" : "false");
    }
  }
  // An inline formula wider than its line (MathJax cannot break it) becomes a block that scrolls
  // sideways by itself, instead of widening the whole page on a phone.
  function fitMath() {
    var els = document.querySelectorAll(".math.inline");
    for (var i = 0; i < els.length; i++) {
      var el = els[i], c = el.querySelector("mjx-container");
      if (!c || !el.offsetParent) continue;  // not typeset, or in the hidden language
      var box = el.parentElement.closest("p, li, td, th, div") || el.parentElement;
      el.classList.toggle("wide", c.getBoundingClientRect().width > box.clientWidth);
    }
  }
  window.dlproofFitMath = fitMath;
  var resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(fitMath, 150);
  });

  // The server renders the language of the cookie; the static export (file://) has no cookie,
  // so there a choice remembered in localStorage is applied before first paint.
  try {
    var saved = localStorage.getItem(KEY);
    var served = document.cookie.indexOf(KEY + "=") >= 0 || /[?&]lang=/.test(location.search);
    if (!served && saved && saved !== document.documentElement.getAttribute("data-lang")) {
      setLang(saved, false);
    }
  } catch (e) { /* ignore */ }

  function runButtons() {
    var btns = document.querySelectorAll(".run-btn");
    Array.prototype.forEach.call(btns, function (btn) {
      btn.addEventListener("click", function () { startRun(btn); });
    });
  }

  function startRun(btn) {
    var exp = btn.getAttribute("data-exp");
    var form = btn.closest("form");
    var mode = form.querySelector("[name=mode]").value;
    var seed = form.querySelector("[name=seed]").value || "0";
    var box = document.getElementById("status-" + exp);
    var msg = box.querySelector(".run-message");
    var bar = box.querySelector(".progress-bar");
    box.hidden = false;
    box.classList.remove("error");
    btn.disabled = true;
    msg.textContent = "starting…";
    var url = "/api/run/" + encodeURIComponent(exp);
    fetch(url + "?mode=" + encodeURIComponent(mode) + "&seed=" + encodeURIComponent(seed), {method: "POST"})
      .then(function (r) { return r.json().then(function (j) { return {ok: r.ok, body: j}; }); })
      .then(function (res) {
        if (!res.ok) { fail(res.body.detail || res.body.error || "error"); return; }
        poll();
      })
      .catch(function () { fail("network error"); });

    function fail(text) {
      box.classList.add("error");
      msg.textContent = text;
      btn.disabled = false;
    }
    function poll() {
      fetch(url).then(function (r) { return r.json(); }).then(function (s) {
        bar.style.width = Math.round((s.fraction || 0) * 100) + "%";
        msg.textContent = Math.round((s.fraction || 0) * 100) + "% " + (s.message || "");
        if (s.state === "running") { setTimeout(poll, 250); return; }
        if (s.state === "error") { fail(s.error || "failed"); return; }
        location.reload();
      }).catch(function () { setTimeout(poll, 1000); });
    }
  }

  function quizKeys() {
    var card = document.getElementById("quiz-card");
    if (!card) return;
    var reveal = document.getElementById("reveal");
    var answer = document.getElementById("card-answer");
    var form = document.getElementById("rate-form");
    function show() {
      answer.hidden = false;
      reveal.hidden = true;
      card.classList.add("revealed");
    }
    reveal.addEventListener("click", show);
    document.addEventListener("keydown", function (ev) {
      var t = ev.target;
      if (t && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA")) return;
      if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
      if (ev.key === " " || ev.key === "Spacebar") {
        ev.preventDefault();
        if (answer.hidden) show();
        return;
      }
      if (!answer.hidden && /^[1-4]$/.test(ev.key)) {
        ev.preventDefault();
        var b = form.querySelector("button[value='" + ev.key + "']");
        if (b && !form.dataset.sent) { form.dataset.sent = "1"; form.requestSubmit(b); }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setLang(document.documentElement.getAttribute("data-lang"), false);
    var btns = document.querySelectorAll("[data-set-lang]");
    Array.prototype.forEach.call(btns, function (b) {
      b.addEventListener("click", function () { setLang(b.getAttribute("data-set-lang"), true); });
    });
    runButtons();
    quizKeys();
  });
})();
