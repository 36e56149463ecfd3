import { initAll } from '/assets/nhsuk/nhsuk-frontend.min.js';

// Adds the body classes too, for any component style keyed on <body>.
document.body.classList.add('js-enabled', 'nhsuk-frontend-supported');
initAll();
