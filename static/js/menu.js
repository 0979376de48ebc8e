// The header's menu button (templates/base.html): on a narrow screen the nav and the switches fold
// behind it, in presenter mode the nav does (static/css/app.css shows what aria-expanded says).
// A real button: Enter and Space open and close it, Escape closes it and gives the focus back,
// and following a link or clicking outside the menu closes it.

/** Make #menu-toggle open and close #site-menu. */
export function bindMenu() {
  const button = document.getElementById('menu-toggle');
  const menu = document.getElementById('site-menu');
  if (!button || !menu) return;
  const isOpen = () => button.getAttribute('aria-expanded') === 'true';
  const setOpen = (open) => button.setAttribute('aria-expanded', String(open));
  button.addEventListener('click', () => setOpen(!isOpen()));
  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape' || !isOpen()) return;
    setOpen(false);
    button.focus();
  });
  document.addEventListener('click', (event) => {
    if (isOpen() && !button.contains(event.target) && !menu.contains(event.target)) setOpen(false);
  });
  menu.addEventListener('click', (event) => { if (event.target.closest('a')) setOpen(false); });
}
