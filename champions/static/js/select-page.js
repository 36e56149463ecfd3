// Lists with a tick box a row (the roster, organisations, a round's applications): a labelled "select every row on this
// page" box just above the table, where it shows at every width (a phone's responsive table hides its header row, and
// a box there could be reached with Tab but not seen). Without JavaScript each row is ticked alone, and "all that
// match" chooses every record the filter finds.
const header = document.querySelector('.app-pick-table th.app-pick');
const boxes = Array.from(document.querySelectorAll('.app-pick-table input.app-pick__box[name="id"]'));
if (header && boxes.length) {
  const all = document.createElement('input');
  all.type = 'checkbox';
  all.id = 'pick-page';
  all.className = 'app-pick__box';
  const label = document.createElement('label');
  label.htmlFor = all.id;
  label.textContent = 'Select every row on this page';
  const wrap = document.createElement('div');
  wrap.className = 'app-pick-all';
  wrap.append(all, label);
  header.closest('table').before(wrap);
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
