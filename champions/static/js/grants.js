// Draws a bar chart from the data table named by the canvas's data-chart-table attribute,
// so the chart and its table always show the same figures (and the page works without it).
function tableData(table) {
  // Rows of a label and a figure only: a table held back shows one row of words, and draws no chart.
  const rows = Array.from(table.tBodies[0].rows).filter((row) => row.cells.length > 1);
  return {
    labels: rows.map((row) => row.cells[0].textContent.trim()),
    // A figure not shown ("fewer than 5", "not shown") is left out of the chart rather than drawn as a number.
    values: rows.map((row) => {
      const text = row.cells[1].textContent.trim();
      return /^[£0-9,.]+$/.test(text) ? Number(text.replace(/[^0-9.]/g, '')) : null;
    }),
  };
}

for (const canvas of document.querySelectorAll('canvas[data-chart-table]')) {
  const table = document.getElementById(canvas.dataset.chartTable);
  if (!table || !window.Chart) continue;
  const { labels, values } = tableData(table);
  if (labels.length === 0) continue;
  new window.Chart(canvas, {
    type: 'bar',
    data: { labels, datasets: [{ label: canvas.dataset.chartLabel, data: values, backgroundColor: '#005eb8' }] },
    options: { responsive: true, maintainAspectRatio: false, animation: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
}
