// Suggest the borough from a Greater Manchester postcode district, without overriding a choice at sign-up.
const postcode = document.getElementById('postcode');
const borough = document.getElementById('borough');
const note = document.getElementById('borough-suggestion');

if (postcode && borough && postcode.dataset.districts) {
  const districts = JSON.parse(postcode.dataset.districts);
  postcode.addEventListener('change', () => {
    const compact = postcode.value.replace(/\s+/g, '').toUpperCase();
    const code = districts[compact.length > 3 ? compact.slice(0, -3) : compact];
    if (!code) return;
    const option = borough.querySelector(`option[value="${code}"]`);
    // Sign-up fills an empty choice only; a champion changing their postcode has one already, which should follow.
    const replace = postcode.dataset.replaceBorough === 'true' && borough.value !== code;
    if ((!borough.value || replace) && option) {
      borough.value = code;
      note.textContent = replace
        ? `We have changed your borough to ${option.textContent} to match your postcode.`
        : `We have chosen ${option.textContent} from your postcode. Change it if it is not right.`;
    }
  });
}

// Too many organisations to list: suggest the names of those working with us as their name is typed.
const organisation = document.getElementById('organisation_name');
const suggestions = document.getElementById('organisation_name-suggestions');

if (organisation && suggestions && organisation.dataset.suggest) {
  let waiting;
  let latest = '';
  organisation.addEventListener('input', () => {
    clearTimeout(waiting);
    const typed = organisation.value.trim();
    if (typed.length < 2) return;
    waiting = setTimeout(async () => {
      latest = typed;
      try {
        const response = await fetch(`${organisation.dataset.suggest}?q=${encodeURIComponent(typed)}`, {
          headers: { Accept: 'application/json' },
        });
        if (!response.ok || latest !== typed) return;
        const { names } = await response.json();
        if (latest !== typed) return; // an answer to an older question
        suggestions.replaceChildren(...names.map((name) => Object.assign(document.createElement('option'), { value: name })));
      } catch {
        // No suggestions (offline): the name typed is still sent, and checked, with the form.
      }
    }, 200);
  });
}
