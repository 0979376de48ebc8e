// Loaded by every page (templates/base.html): the language links, the presenter toggle, the header's menu
// and following the teacher.
import {bindFollow} from './follow.js';
import {bindLanguageLinks} from './i18n.js';
import {bindMenu} from './menu.js';
import {bindPresenterToggle} from './presenter.js';

bindLanguageLinks();
bindPresenterToggle();
bindMenu();
bindFollow();
