/* MathJax 3 configuration (loaded before MathJax itself). Only elements of class "math" are
   typeset: the page body carries "mj-ignore", so a stray \( in prose is never touched. */
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
    ready: function () {
      MathJax.startup.defaultReady();
      MathJax.startup.promise.then(function () {
        if (window.dlproofFitMath) window.dlproofFitMath();
        document.documentElement.setAttribute("data-math", "done");
      });
    }
  }
};
