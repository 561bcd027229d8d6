// Draws a trend from its lean JSON with Plotly: one line per IFU, thresholds, outliers.
(function () {
  "use strict";
  function draw(element, data) {
    var traces = Object.keys(data.series).map(function (ifu) {
      return {x: data.nights, y: data.series[ifu], mode: "lines+markers", name: "IFU " + ifu,
              type: "scattergl", marker: {size: 4}, connectgaps: false};
    });
    var shapes = [];
    if (data.threshold) {
      [data.threshold.min, data.threshold.max].forEach(function (limit) {
        if (limit !== null) {
          shapes.push({type: "line", xref: "paper", x0: 0, x1: 1, y0: limit, y1: limit,
                       line: {dash: "dash", color: "black", width: 1}});
        }
      });
    }
    if (data.outliers.length) {
      traces.push({x: data.outliers.map(function (o) { return o[0]; }),
                   y: data.outliers.map(function (o) { return o[2]; }),
                   text: data.outliers.map(function (o) { return "IFU " + o[1]; }),
                   mode: "markers", type: "scattergl", name: "outside threshold",
                   marker: {symbol: "x", size: 10, color: "red"}});
    }
    Plotly.newPlot(element, traces, {
      title: data.label + ", " + data.first + " to " + data.last,
      xaxis: {title: "night", range: [data.first, data.last]},
      yaxis: {title: data.unit ? data.label + " [" + data.unit + "]" : data.label},
      shapes: shapes, legend: {font: {size: 10}}, margin: {t: 40}
    }, {responsive: true});
    element.setAttribute("data-drawn", String(traces.length));
  }
  document.addEventListener("DOMContentLoaded", function () {
    var element = document.getElementById("plot");
    if (!element || typeof Plotly === "undefined") { return; }
    fetch(element.getAttribute("data-source"), {credentials: "same-origin"})
      .then(function (reply) { return reply.json(); })
      .then(function (data) { draw(element, data); });
  });
})();
