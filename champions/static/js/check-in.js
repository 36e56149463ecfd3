// Check-in at the door: the search box on a workshop's page filters the people signed up as you type (name,
// email or postcode, ignoring case and spaces, as the server's search does when the form is sent without this).
const form = document.querySelector('[data-check-in-search]');
const input = form && form.querySelector('input[name="q"]');
const rows = Array.from(document.querySelectorAll('.app-check-in tbody tr[data-search]'));
const count = document.getElementById('check-in-count');

const compact = (text) => text.replace(/\s+/g, '').toLowerCase();

const filter = () => {
  const wanted = compact(input.value);
  let shown = 0;
  rows.forEach((row) => {
    const match = !wanted || row.dataset.search.split(' ').some((part) => part.includes(wanted));
    row.hidden = !match;
    if (match) shown += 1;
  });
  if (count) {
    count.textContent = wanted ? `${shown} of ${rows.length} shown match “${input.value.trim()}”.` : '';
  }
};

if (input && rows.length) {
  input.addEventListener('input', filter);
}
