// Keeps a running job's progress up to date without a reload: every block with data-progress-url polls that JSON
// status route ({done, total, text, finished, result_url, result_text}), moves its <progress> bar and says how far
// it has got in its aria-live region. When the job ends it stops, and shows the result link (or, for a block with
// data-progress-reload, loads the page again, whose results are shown in place). Without JavaScript the page's
// <noscript> refresh does the same job.
const POLL_MS = 1000;

function finish(block, job) {
  const result = block.querySelector('[data-progress-result]');
  if (job.result_url && result) {
    const link = document.createElement('a');
    link.href = job.result_url;
    link.textContent = job.result_text || 'See the result';
    result.replaceChildren(link);
    result.hidden = false;
  }
  if ('progressReload' in block.dataset) {
    // Let the full bar show for a moment, then load the page with the results.
    window.setTimeout(() => window.location.replace(job.result_url || window.location.href), 700);
  }
}

function watch(block) {
  const bar = block.querySelector('progress');
  const text = block.querySelector('[data-progress-text]');
  const refresh = block.querySelector('[data-progress-refresh]');
  if (refresh) refresh.hidden = true; // this script keeps the page up to date instead
  const poll = async () => {
    try {
      const response = await fetch(block.dataset.progressUrl, { headers: { Accept: 'application/json' } });
      if (response.ok) {
        const job = await response.json();
        bar.max = Math.max(job.total, 1);
        bar.value = job.finished && !job.error ? bar.max : job.done;
        if (text.textContent !== job.text) text.textContent = job.text;
        if (job.finished) {
          finish(block, job);
          return;
        }
      }
    } catch {
      // A dropped request: try again on the next tick.
    }
    window.setTimeout(poll, POLL_MS);
  };
  window.setTimeout(poll, POLL_MS);
}

document.querySelectorAll('[data-progress-url]').forEach(watch);
