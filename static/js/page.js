// Loaded by every page (templates/base.html): the language links and the presenter toggle.
import {bindLanguageLinks} from './i18n.js';
import {bindPresenterToggle} from './presenter.js';

bindLanguageLinks();
bindPresenterToggle();
