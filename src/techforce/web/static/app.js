// Draw every chart on the page from its Vega-Lite spec (no inline script, no eval: CSP).
(function () {
  "use strict";
  function draw(root) {
    if (!window.vegaEmbed) { return; }
    root.querySelectorAll(".chart[data-spec]").forEach(function (el) {
      if (el.dataset.drawn) { return; }
      el.dataset.drawn = "1";
      var spec = JSON.parse(el.dataset.spec);
      spec.width = "container";
      // ast: true makes Vega interpret expressions (vega-interpreter, in the bundle) instead
      // of compiling them with Function(): the CSP has no 'unsafe-eval'.
      window.vegaEmbed(el, spec, { actions: false, renderer: "svg", ast: true })
        .then(function () {
          // The container is role="img" with the text alternative (and a table view follows),
          // so the drawing itself is hidden from assistive technology.
          var svg = el.querySelector("svg");
          if (svg) { svg.setAttribute("aria-hidden", "true"); }
        })
        .catch(function (err) { el.textContent = "Chart unavailable: " + err; });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSwap", function (e) { draw(e.target); });
  // Send the CSRF token with every htmx request.
  document.addEventListener("htmx:configRequest", function (e) {
    var token = document.body.dataset.csrf;
    if (token) { e.detail.headers["X-CSRF-Token"] = token; }
  });
})();
