// Loaded synchronously at the top of every page, so the NHS.UK styles for
// JavaScript-enabled browsers apply before first paint (no inline scripts: the CSP forbids them).
document.documentElement.classList.add('js-enabled');
if ('noModule' in HTMLScriptElement.prototype) {
  document.documentElement.classList.add('nhsuk-frontend-supported');
}
