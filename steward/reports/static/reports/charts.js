// Draws each chart of the page (templates/reports/_chart.html) with the vendored vega-embed.
// The spec is read from its <script type="application/json"> (json_script); nothing here is
// inline, and Vega's expressions run through vega-interpreter (ast: true), never through
// `new Function`, so the Content-Security-Policy needs no 'unsafe-eval'. The figure's
// caption and data table stay the text alternative whatever happens here.
(function () {
  "use strict";
  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart-spec"));
    if (!source || typeof vegaEmbed !== "function" || !window.vegaInterpreter) { return; }
    var spec;
    try { spec = JSON.parse(source.textContent); } catch (e) { return; }
    vegaEmbed(canvas, spec, {
      ast: true,
      expr: window.vegaInterpreter.expressionInterpreter,
      actions: false,
      renderer: "svg",
      defaultStyle: false,  // vega-embed would add a <style> element: ours is in reports.css
      tooltip: { disableDefaultStyle: true }
    }).then(function () {
      canvas.classList.add("drawn");
    }).catch(function () {
      canvas.classList.add("failed");  // the caption and the table still say it all
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-chart-spec]").forEach(draw);
  });
})();
