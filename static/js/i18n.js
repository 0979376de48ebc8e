// Message catalogues in the browser.
//
// The server embeds the page language's catalogue in <script type="application/json"
// id="messages"> (app/templating.py), so `t()` works synchronously from the first line of a
// module. `t(key, params)` fills `{name}` placeholders exactly like Python's str.format on the
// server. Switching language reloads the page with `lang=` changed and every other URL
// parameter (the lab's state) kept.
import {withParams} from './urlstate.js';

/** The page language: 'en' or 'zh'. */
export const lang = document.documentElement.lang.toLowerCase().startsWith('zh') ? 'zh' : 'en';

let messages = readEmbedded();

function readEmbedded() {
  const node = document.getElementById('messages');
  try { return node ? JSON.parse(node.textContent) : {}; } catch { return {}; }
}

/** Fetch a catalogue (only needed on a page rendered without the embedded one). */
export async function loadCatalogue(code = lang) {
  const response = await fetch(`/static/i18n/${code}.json`);
  if (response.ok) messages = await response.json();
  return messages;
}

/** True when the catalogue has `key`. */
export function has(key) {
  return Object.prototype.hasOwnProperty.call(messages, key);
}

/** The message `key` with `{name}` placeholders filled from `params`; the key itself if missing. */
export function t(key, params = {}) {
  const text = has(key) ? messages[key] : key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/** The current URL with the language changed and everything else kept. */
export function languageUrl(code) {
  return withParams(location.href, {lang: code});
}

/** Reload the page in another language, keeping the URL state. */
export function setLanguage(code) {
  location.assign(languageUrl(code));
}

/** Make every `[data-lang]` link switch language while keeping the current URL state. */
export function bindLanguageLinks(root = document) {
  for (const link of root.querySelectorAll('a[data-lang]')) {
    link.addEventListener('click', (event) => {
      event.preventDefault();
      setLanguage(link.dataset.lang);
    });
  }
}
