// What a page wants its "Code" panel (export_panel.js) to export besides the body it last sent to its
// endpoint: the draw page's digit, for example (its predictions travel over a websocket).
//
//   import {setExportSetup} from './export_state.js';
//   setExportSetup('model', {image: answer.input28});   // merged into the panel's set-up
//   setExportSetup('model', null);                      // forgotten again

/** kind -> extra set-up fields. */
export const exportSetups = new Map();

/** Set (or, with null, forget) the extra set-up of `kind`; an open panel writes the new code. */
export function setExportSetup(kind, setup) {
  if (setup) exportSetups.set(kind, setup); else exportSetups.delete(kind);
  document.dispatchEvent(new CustomEvent('export:setup', {detail: {kind}}));
}
