// Draw each chart from the JSON in its data-chart attribute (the CSP allows no inline scripts). Every chart has a
// table beside it, so nothing depends on this. A recompute's progress is kept up to date by progress.js.
const palette = ['#005eb8', '#007f3b', '#ffb81c', '#d5281b', '#330072', '#4c6272'];

for (const canvas of document.querySelectorAll('canvas[data-chart]')) {
  const spec = JSON.parse(canvas.dataset.chart);
  const datasets = spec.datasets.map((set, i) => ({
    label: set.label,
    data: set.data,
    borderColor: palette[i % palette.length],
    backgroundColor: palette[i % palette.length],
    borderDash: set.dashed ? [6, 4] : [],
    pointRadius: 0,
    spanGaps: true,
  }));
  // eslint-disable-next-line no-undef
  new Chart(canvas, {
    type: spec.type,
    data: { labels: spec.labels, datasets },
    // The box around the canvas sets the height (taller on wide screens), so a phone gets a readable chart.
    options: { animation: false, responsive: true, maintainAspectRatio: false,
      plugins: { legend: { position: 'bottom' } } },
  });
}
