// Keeps a job's <progress> bar up to date by polling its JSON status route; reloads the page when the job ends.
const POLL_MS = 1000;

function watch(block) {
  const bar = block.querySelector('progress');
  const text = block.querySelector('[data-progress-text]');
  const poll = async () => {
    try {
      const response = await fetch(block.dataset.progressUrl, { headers: { Accept: 'application/json' } });
      if (!response.ok) return;
      const job = await response.json();
      bar.max = Math.max(job.total, 1);
      bar.value = job.done;
      text.textContent = `${job.done.toLocaleString('en-GB')} of ${job.total.toLocaleString('en-GB')} rows`;
      if (job.finished) {
        // Let the full bar show for a moment, then load the page with the results.
        window.setTimeout(() => window.location.reload(), 700);
        return;
      }
    } catch {
      // A dropped request: try again on the next tick.
    }
    window.setTimeout(poll, POLL_MS);
  };
  window.setTimeout(poll, POLL_MS);
}

document.querySelectorAll('[data-progress-url]').forEach(watch);
