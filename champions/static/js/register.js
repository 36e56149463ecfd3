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
