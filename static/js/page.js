// Loaded by every page (templates/base.html): the language links, the presenter toggle, the header's
// menu, and a select picked with the pointer giving the keys back to the page (keys.js).
import {bindLanguageLinks} from './i18n.js';
import {releaseSelectsAfterPick} from './keys.js';
import {bindMenu} from './menu.js';
import {bindPresenterToggle} from './presenter.js';

bindLanguageLinks();
bindPresenterToggle();
bindMenu();
releaseSelectsAfterPick();
