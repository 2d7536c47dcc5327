(function () {
  var errors = [];
  window.addEventListener("error", function (e) { errors.push(String(e.message)); });
  var charts = document.querySelectorAll("svg.chart");
  var drawn = 0;
  for (var i = 0; i < charts.length; i++) {
    var box = charts[i].getBoundingClientRect();
    var content = charts[i].getBBox();
    var marks = charts[i].querySelectorAll("rect, path, polyline, polygon, circle, line").length;
    if (box.width > 0 && box.height > 0 && content.width > 0 && content.height > 0 && marks > 0) {
      drawn++;
    }
  }
  document.body.setAttribute("data-charts", String(charts.length));
  document.body.setAttribute("data-charts-drawn", String(drawn));
  document.body.setAttribute("data-errors", errors.join(" | "));
  // The page height in CSS pixels at the window width, for the height budgets.
  document.body.setAttribute("data-height", String(document.documentElement.scrollHeight));
})();
