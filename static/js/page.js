// Loaded by every page (templates/base.html): the language links, the presenter toggle and the header's menu.
import {bindLanguageLinks} from './i18n.js';
import {bindMenu} from './menu.js';
import {bindPresenterToggle} from './presenter.js';

bindLanguageLinks();
bindPresenterToggle();
bindMenu();
