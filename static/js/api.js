// JSON over fetch, with the server's message (already in the page language) shown to the user.
//
//   import {postJSON, Latest, showAlert, clearAlert} from './api.js';
//   const data = await postJSON('/api/conv', body);           // throws ApiError on 4xx/5xx
//   const latest = new Latest();                              // for as-you-type requests:
//   const data = await latest.post('/api/conv', body);        // null when a newer call superseded it
//
// Errors are shown in the page's alert area (#alerts, role="alert") unless {alert: false}.
import {lang, t} from './i18n.js';
import {withParams} from './urlstate.js';

export class ApiError extends Error {
  /** message: for the user; status: HTTP status (0 for network errors); code: the server's error code. */
  constructor(message, {status = 0, code = null, body = null} = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

function alertArea() {
  return document.getElementById('alerts');
}

/** Show a message in the alert area (kind: 'error' or 'info'). */
export function showAlert(message, kind = 'error') {
  const area = alertArea();
  if (!area) return;
  area.textContent = message;
  area.dataset.kind = kind;
  area.hidden = false;
}

/** Empty the alert area. */
export function clearAlert() {
  const area = alertArea();
  if (!area) return;
  area.textContent = '';
  area.hidden = true;
}

/** The last body POSTed to each path (the page's set-up as its endpoint last received it): the
 *  "Code" panel (export_panel.js) exports it. An 'api:sent' event on document says one was sent. */
export const sentBodies = new Map();

async function request(method, path, body, {signal, alert = true, headers = {}} = {}) {
  const url = withParams(path, {lang});
  if (method === 'POST' && body !== undefined && path !== '/api/export') {
    sentBodies.set(path, body);
    document.dispatchEvent(new CustomEvent('api:sent', {detail: {path}}));
  }
  let response;
  try {
    response = await fetch(url, {
      method, signal,
      headers: body === undefined ? headers : {...headers, 'Content-Type': 'application/json'},
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    const failure = new ApiError(t('error.network'));
    if (alert) showAlert(failure.message);
    throw failure;
  }
  let data = null;
  try { data = await response.json(); } catch { data = null; }
  if (!response.ok) {
    const detail = data && typeof data.detail === 'string' ? data.detail : t('error.http', {status: response.status});
    const failure = new ApiError(detail, {status: response.status, code: data?.code ?? null, body: data});
    if (alert) showAlert(failure.message);
    throw failure;
  }
  if (alert) clearAlert();
  return data;
}

/** GET `path` (the page language is added as ?lang=) and return the JSON. */
export function getJSON(path, options) {
  return request('GET', path, undefined, options);
}

/** POST `body` as JSON to `path` and return the JSON answer; throws ApiError with the server's message. */
export function postJSON(path, body, options) {
  return request('POST', path, body, options);
}

/** Only the newest of overlapping requests counts: older ones are aborted and resolve to null. */
export class Latest {
  constructor() { this.controller = null; }

  async post(path, body, options = {}) {
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    try {
      return await postJSON(path, body, {...options, signal: controller.signal});
    } catch (error) {
      if (error.name === 'AbortError' || controller.signal.aborted) return null;
      throw error;
    }
  }
}
