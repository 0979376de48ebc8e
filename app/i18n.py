"""Message catalogues: ``static/i18n/<lang>.json``, shared by the server's templates and the browser.

The language of a request comes from ``?lang=``, then the ``lang`` cookie, then Accept-Language.
"""

import json
from functools import lru_cache

from fastapi import Request

from .paths import STATIC_DIR

LANGUAGES = ("en", "zh")
DEFAULT_LANGUAGE = "en"


@lru_cache
def catalogue(lang: str) -> dict[str, str]:
    with open(STATIC_DIR / "i18n" / f"{lang}.json", encoding="utf-8") as f:
        return json.load(f)


def translate(lang: str, key: str, **params) -> str:
    """The message ``key`` in ``lang`` (falling back to English, then to the key itself)."""
    text = catalogue(lang).get(key) or catalogue(DEFAULT_LANGUAGE).get(key) or key
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        return text


def request_language(request: Request) -> str:
    for candidate in (request.query_params.get("lang"), request.cookies.get("lang")):
        if candidate in LANGUAGES:
            return candidate
    accept = request.headers.get("accept-language", "").lower()
    return "zh" if accept.startswith("zh") else DEFAULT_LANGUAGE


def diverged_message(lang: str, step: int, lr: float) -> str:
    """Why a run diverged and what to try (``run.diverged``): the step whose loss was not finite and
    the learning rate then in use, and a learning rate 10 times smaller (the browser says the same)."""
    return translate(lang, "run.diverged", step=step, lr=f"{lr:g}", smaller=f"{lr / 10:g}")
