// Reports: each chart is drawn from the table beside it (the table stays, for
// screen readers, printing and pages without JavaScript). Series differ by
// line style and point shape as well as colour, so they read without colour.
(function () {
  "use strict";
  if (!window.Chart) return;
  const styles = [
    { color: "#1f5fbf", dash: [], point: "circle" },
    { color: "#b5542a", dash: [6, 4], point: "triangle" },
    { color: "#2f7d4a", dash: [2, 3], point: "rect" },
  ];
  const number = (text) => {
    const value = parseFloat(text.replace(",", "."));
    return Number.isFinite(value) ? value : null;
  };
  document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
    const table = document.getElementById(canvas.dataset.chartTable);
    if (!table) return;
    const names = Array.from(table.tHead.rows[0].cells).slice(1).map((c) => c.textContent.trim());
    const rows = Array.from(table.tBodies[0].rows).filter((row) => row.cells.length > 1);
    const labels = rows.map((row) => row.cells[0].textContent.trim());
    const bar = canvas.dataset.chart === "bar";
    const datasets = names.map((name, i) => {
      const style = styles[i % styles.length];
      return {
        label: name,
        data: rows.map((row) => number(row.cells[i + 1].textContent)),
        borderColor: style.color,
        backgroundColor: bar ? style.color + "99" : style.color,
        borderDash: style.dash,
        borderWidth: 2,
        pointStyle: style.point,
        pointRadius: 3,
      };
    });
    canvas.hidden = false;
    new window.Chart(canvas, {
      type: canvas.dataset.chart,
      data: { labels: labels, datasets: datasets },
      options: {
        responsive: true,
        animation: false,
        plugins: { legend: { labels: { usePointStyle: true } } },
        scales: { y: { beginAtZero: true } },
      },
    });
    // The chart shows the numbers now; the table stays one click away.
    const details = canvas.parentElement.querySelector("[data-chart-details]");
    if (details) details.open = false;
  });
})();
