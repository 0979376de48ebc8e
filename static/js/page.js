// Loaded by every page (templates/base.html): the language links, the presenter toggle, the header's menu
// and following the teacher.
import {bindFollow} from './follow.js';
import {bindLanguageLinks} from './i18n.js';
import {releaseSelectsAfterPick} from './keys.js';
import {bindMenu} from './menu.js';
import {bindPresenterToggle} from './presenter.js';

bindLanguageLinks();
releaseSelectsAfterPick();  // a select picked with the pointer gives the keys back to the page
bindPresenterToggle();
bindMenu();
bindFollow();
