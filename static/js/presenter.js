// Presenter mode: larger type, high contrast, side panels hidden; `presenter=1` in the URL.
// The server renders the page with <html class="presenter"> when the URL asks for it; the
// toggle switches it in place and fires a `presenterchange` event on document.
import {replaceParams} from './urlstate.js';

export function isPresenter() {
  return document.documentElement.classList.contains('presenter');
}

export function setPresenter(on) {
  document.documentElement.classList.toggle('presenter', on);
  replaceParams({presenter: on ? '1' : null});
  for (const b of document.querySelectorAll('[data-presenter-toggle]')) b.setAttribute('aria-pressed', String(on));
  document.dispatchEvent(new CustomEvent('presenterchange', {detail: {on}}));
}

/** Make `[data-presenter-toggle]` buttons switch presenter mode. */
export function bindPresenterToggle(root = document) {
  for (const b of root.querySelectorAll('[data-presenter-toggle]')) {
    b.setAttribute('aria-pressed', String(isPresenter()));
    b.addEventListener('click', () => setPresenter(!isPresenter()));
  }
}
