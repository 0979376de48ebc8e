// Who a key press belongs to: one rule for every page's keyboard shortcuts (the player's Space,
// Left/Right, Home/End; "n" on /learn/backprop; undo and clear on /draw).
//
//   document.addEventListener('keydown', (event) => {
//     if (!pageOwnsKey(event)) return;   // a focused field, menu or slider keeps it
//     ...
//   });
//
// A focused text or number field, select, slider, checkbox, textarea or editable text keeps every
// key (arrows change a number or a menu's choice, Space ticks a box); so does a key another handler
// already took, and a key with Alt, Ctrl or Meta (the browser's and the system's shortcuts).
// Space and Enter on a focused button, link or summary keep their native meaning (pressing it),
// except inside `own`, the shortcut's own controls (the player's buttons: Space there plays).
//
// A select chosen with the pointer gives the focus back to the page (`releaseSelectsAfterPick`,
// bound on every page by page.js): after a teacher picks a preset with the mouse, Left/Right step
// the player again instead of changing the menu. A select changed from the keyboard keeps the
// focus, so a keyboard user can go on choosing.

const FIELDS = 'input, select, textarea';
const PRESSABLE = 'button, a, summary';

/** True when the focused `target` keeps its keys (a field, a menu, a slider or editable text). */
export function fieldOwnsKeys(target) {
  if (!(target instanceof Element)) return false;
  return target.isContentEditable || target.closest(FIELDS) !== null;
}

/**
 * True when the page's shortcut may take `event` (a keydown): nothing took it yet, no modifier
 * (Ctrl/Meta allowed with `ctrl: true`; Alt never), the focus is not in a field, and Space or Enter
 * is not pressing a focused button outside `own`.
 */
export function pageOwnsKey(event, {own = null, ctrl = false} = {}) {
  if (event.defaultPrevented || event.altKey) return false;
  if (!ctrl && (event.ctrlKey || event.metaKey)) return false;
  const target = event.target;
  if (fieldOwnsKeys(target)) return false;
  if ((event.key === ' ' || event.key === 'Enter') && target instanceof Element && target.closest(PRESSABLE)
      && !(own && own.contains(target))) return false;
  return true;
}

/** After a select is changed with the pointer, blur it so the page's keys work again (see above). */
export function releaseSelectsAfterPick(root = document) {
  const picked = new WeakSet();
  root.addEventListener('pointerdown', (event) => {
    const select = event.target instanceof Element && event.target.closest('select');
    if (select) picked.add(select);
  }, true);
  root.addEventListener('keydown', (event) => {
    const select = event.target instanceof Element && event.target.closest('select');
    if (select) picked.delete(select);
  }, true);
  root.addEventListener('change', (event) => {
    const select = event.target;
    if (!(select instanceof HTMLSelectElement) || !picked.has(select)) return;
    picked.delete(select);
    if (document.activeElement === select) select.blur();
  });
}
