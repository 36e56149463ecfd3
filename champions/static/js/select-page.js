// Lists with a tick box a row (the roster, organisations, a round's applications): a "select all on this page" box
// in the header. Without JavaScript each row is ticked alone, and "all that match" chooses every record the filter finds.
const header = document.querySelector('.app-pick-table th.app-pick');
const boxes = Array.from(document.querySelectorAll('.app-pick-table input.app-pick__box[name="id"]'));
if (header && boxes.length) {
  const all = document.createElement('input');
  all.type = 'checkbox';
  all.id = 'pick-page';
  all.className = 'app-pick__box';
  all.setAttribute('aria-label', 'Select every row on this page');
  header.replaceChildren(all);
  const sync = () => {
    const ticked = boxes.filter((box) => box.checked).length;
    all.checked = ticked === boxes.length;
    all.indeterminate = ticked > 0 && ticked < boxes.length;
  };
  all.addEventListener('change', () => {
    boxes.forEach((box) => { box.checked = all.checked; });
    sync();
  });
  boxes.forEach((box) => box.addEventListener('change', sync));
  sync();
}
