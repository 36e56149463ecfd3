import { initAll } from '/assets/nhsuk/nhsuk-frontend.min.js';

// Adds the body classes too, for any component style keyed on <body>.
document.body.classList.add('js-enabled', 'nhsuk-frontend-supported');
initAll();

// The NHS.UK radios script marks a radio that reveals a follow-up question with aria-expanded, which ARIA does
// not allow on a radio (GOV.UK Frontend dropped it for that reason). The reveal and its aria-controls stay;
// the attribute is taken off again after the script sets it (when the page is shown, and on each click or change).
const dropExpanded = () => {
  document.querySelectorAll('input[type="radio"][aria-expanded]').forEach((radio) => radio.removeAttribute('aria-expanded'));
};
dropExpanded();
document.addEventListener('click', dropExpanded);
document.addEventListener('change', dropExpanded);
window.addEventListener('pageshow', dropExpanded);
