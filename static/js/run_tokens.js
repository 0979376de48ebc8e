// The control tokens of the runs this browser started (or was handed a control link for).
// POST /api/runs answers a run's token once; pause, resume, stop, a new learning rate and saving need
// it. A share link (/learn?run=<id>) only watches; a control link (/learn?run=<id>#control=<token>)
// is handed on purpose to a co-teacher: opening it keeps the token here and takes it out of the URL.
//
//   keepToken(run.id, run.control_token);  tokenFor(id) -> token or null;  controlLink(id) -> URL or null
const KEY = 'cnn-playground.run-tokens';
const MAX_KEPT = 50;

function all() {
  try { return JSON.parse(localStorage.getItem(KEY)) || {}; } catch { return {}; }
}

export function keepToken(runId, token) {
  const kept = Object.entries(all()).filter(([id]) => id !== runId).slice(-(MAX_KEPT - 1));
  try { localStorage.setItem(KEY, JSON.stringify(Object.fromEntries([...kept, [runId, token]]))); } catch { /* private mode */ }
}

export function tokenFor(runId) {
  return all()[runId] ?? null;
}

export function controlLink(runId) {
  const token = tokenFor(runId);
  return token ? `${location.origin}${location.pathname}?run=${encodeURIComponent(runId)}#control=${encodeURIComponent(token)}` : null;
}

/** A control link's token, kept for `runId` and removed from the address bar (it must not be shared by accident). */
export function takeTokenFromUrl(runId) {
  const match = /^#control=([\w-]+)$/.exec(location.hash);
  if (!match || !runId) return;
  keepToken(runId, match[1]);
  history.replaceState(history.state, '', `${location.pathname}${location.search}`);
}
