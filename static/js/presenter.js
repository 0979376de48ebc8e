// Presenter mode: larger type, high contrast, a compact control strip; `presenter=1` in the URL.
// The server renders the page with <html class="presenter"> when the URL asks for it; the
// toggle switches it in place and fires a `presenterchange` event on document. While it is on,
// every link to one of the app's pages carries `presenter=1`, so the next page opens in it too.
import {replaceParams, withParams} from './urlstate.js';

// Not the app's pages: the API, static files and the third-party API docs.
const NOT_PAGES = /^\/(api|static|docs|redoc|openapi)/;

/** The links to the app's own pages in the markup (not in-page links, not the language links). */
function pageLinks() {
  return [...document.querySelectorAll('a[href]:not([data-lang])')].filter((a) => {
    const href = a.getAttribute('href');
    if (href.startsWith('#')) return false;
    const url = new URL(href, location.href);
    return url.origin === location.origin && !NOT_PAGES.test(url.pathname);
  });
}

// Collected when the toggle is bound (page.js runs before the labs' scripts): the markup's links only, so
// that a link a page makes later (a run's share link, say) is not given presenter mode.
let links = [];

function carryPresenter(on) {
  for (const a of links) a.setAttribute('href', withParams(a.getAttribute('href'), {presenter: on ? '1' : null}));
}

export function isPresenter() {
  return document.documentElement.classList.contains('presenter');
}

export function setPresenter(on) {
  document.documentElement.classList.toggle('presenter', on);
  replaceParams({presenter: on ? '1' : null});
  carryPresenter(on);
  for (const b of document.querySelectorAll('[data-presenter-toggle]')) b.setAttribute('aria-pressed', String(on));
  document.dispatchEvent(new CustomEvent('presenterchange', {detail: {on}}));
}

/** Make `[data-presenter-toggle]` buttons switch presenter mode, and the page's links carry it. */
export function bindPresenterToggle(root = document) {
  links = pageLinks();
  if (isPresenter()) carryPresenter(true);
  for (const b of root.querySelectorAll('[data-presenter-toggle]')) {
    b.setAttribute('aria-pressed', String(isPresenter()));
    b.addEventListener('click', () => setPresenter(!isPresenter()));
  }
}
