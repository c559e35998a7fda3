/* MathJax 3 configuration (loaded before MathJax itself). Only elements of class "math" are
   typeset: the page body carries "mj-ignore", so a stray \( in prose is never touched.
   The language on screen is typeset first (html[data-math=done]), the hidden one right after
   (html[data-math-all=done]), so the first formulas appear in about half the time. */
window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"]],
    displayMath: [["\\[", "\\]"]],
    processEscapes: false,
    tags: "none"
  },
  options: {
    ignoreHtmlClass: "mj-ignore",
    processHtmlClass: "math",
    enableMenu: false
  },
  svg: { fontCache: "global" },
  startup: {
    typeset: false,
    ready: function () {
      if (window.performance && performance.mark) performance.mark("dlproof-mathjax-ready");
      MathJax.startup.defaultReady();
      var all = Array.prototype.slice.call(document.querySelectorAll(".math"));
      var shown = all.filter(function (el) { return el.offsetParent !== null; });
      var hidden = all.filter(function (el) { return el.offsetParent === null; });
      var root = document.documentElement;
      MathJax.startup.promise = MathJax.startup.promise
        .then(function () { return MathJax.typesetPromise(shown); })
        .then(function () {
          if (window.dlproofFitMath) window.dlproofFitMath();
          root.setAttribute("data-math", "done");
          if (window.performance && performance.mark) performance.mark("dlproof-math-shown");
          return hidden.length ? MathJax.typesetPromise(hidden) : null;
        })
        .then(function () {
          if (window.dlproofFitMath) window.dlproofFitMath();
          root.setAttribute("data-math-all", "done");
        })
        .catch(function (err) {
          root.setAttribute("data-math", "error");
          if (window.console) console.error("MathJax: " + (err && err.message ? err.message : err));
        });
    }
  }
};
