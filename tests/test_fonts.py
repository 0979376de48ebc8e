"""The bundled Chinese web font (static/fonts, made by scripts/make_cjk_font.py) covers every
Chinese character the UI can show, is small, is wired into the pages and carries its licence.

When a test here fails after Chinese text was added, rerun the script (see its docstring)."""

import json
import re
import struct
import unicodedata

import pytest

from tests.conftest import ROOT

FONTS = ROOT / "static" / "fonts"
FACES = {"playground-cjk.woff2": 400, "playground-cjk-bold.woff2": 700}
RERUN = "rerun scripts/make_cjk_font.py (see its docstring) and commit static/fonts and static/css/fonts.css"


def strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def ui_sources():
    """(path, text) of everything that puts text on a page: catalogue values, templates, scripts."""
    for path in sorted((ROOT / "static" / "i18n").glob("*.json")):
        yield path, "\n".join(strings(json.loads(path.read_text(encoding="utf-8"))))
    for path in sorted([*(ROOT / "templates").rglob("*.html"), *(ROOT / "static" / "js").rglob("*.js")]):
        yield path, path.read_text(encoding="utf-8")


def wide(text):
    """The East Asian Wide and Fullwidth characters: ideographs, CJK punctuation, fullwidth forms."""
    return {c for c in text if unicodedata.east_asian_width(c) in ("W", "F")}


@pytest.fixture(scope="module")
def covered():
    return (FONTS / "playground-cjk.txt").read_text(encoding="utf-8").rstrip("\n")


@pytest.fixture(scope="module")
def font_faces():
    """The @font-face rules of static/css/fonts.css as dicts of their descriptors."""
    css = (ROOT / "static" / "css" / "fonts.css").read_text(encoding="utf-8")
    faces = []
    for body in re.findall(r"@font-face\s*\{(.*?)\}", css, re.S):
        faces.append({k.strip(): v.strip() for k, v in re.findall(r"([\w-]+)\s*:\s*([^;]+);", body)})
    return faces


def test_the_sources_do_use_chinese():
    """The collection below is not vacuous: the catalogue and the base template hold Chinese."""
    found = {path.name: wide(text) for path, text in ui_sources()}
    assert {"卷", "积", "，"} <= found["zh.json"]
    assert {"中", "文"} <= found["base.html"]


def test_every_chinese_character_of_the_ui_is_in_the_font(covered):
    missing = {}
    for path, text in ui_sources():
        absent = "".join(sorted(wide(text) - set(covered)))
        if absent:
            missing[str(path.relative_to(ROOT))] = absent
    assert not missing, f"characters the bundled font does not have: {missing}; {RERUN}"


def test_the_covered_list_is_sorted_unique_and_only_wide(covered):
    assert len(covered) >= 300
    assert list(covered) == sorted(set(covered))
    assert wide(covered) == set(covered), "Latin and symbols are left to the system font"
    assert set("，。、：；！？（）《》「」") <= set(covered)


def test_woff2_files_are_real_and_small():
    total = 0
    for name in FACES:
        data = (FONTS / name).read_bytes()
        signature, flavor, length, num_tables = struct.unpack(">4s4sLH", data[:14])
        assert signature == b"wOF2", name
        assert flavor == b"OTTO", f"{name}: Noto Sans CJK has CFF outlines"
        assert length == len(data), f"{name}: the header's length is not the file's"
        assert num_tables >= 8, name
        assert 20_000 < len(data) < 400_000, f"{name}: {len(data):,} bytes"
        total += len(data)
    assert total < 1_000_000


def test_fonts_css_declares_both_weights_with_the_files(font_faces):
    assert len(font_faces) == len(FACES)
    for face in font_faces:
        assert face["font-family"] == '"Playground CJK"'
        assert face["font-display"] == "swap"
        name = re.fullmatch(r'url\("\.\./fonts/([\w.-]+)"\) format\("woff2"\)', face["src"]).group(1)
        assert (FONTS / name).is_file()
        assert int(face["font-weight"]) == FACES[name]


def test_unicode_range_covers_the_font_and_leaves_latin_alone(font_faces, covered):
    for face in font_faces:
        ranges = [
            tuple(int(x, 16) for x in part.strip().removeprefix("U+").split("-"))
            for part in face["unicode-range"].split(",")
        ]
        assert all(len(r) == 2 and r[0] <= r[1] for r in ranges)
        outside = [c for c in covered if not any(lo <= ord(c) <= hi for lo, hi in ranges)]
        assert not outside, f"covered characters outside the unicode-range: {outside}; {RERUN}"
        assert min(lo for lo, _ in ranges) >= 0x2E80, "Latin, digits and symbols keep the system font"


def test_pages_link_the_font_and_every_stack_puts_it_first():
    """Chinese text is shaped with the bundled font whatever the machine has: it comes first in the two
    font lists (its unicode-range leaves Latin to the system font), every stylesheet uses those lists,
    and Chinese pages preload both faces (no first layout with a system font)."""
    base = (ROOT / "templates" / "base.html").read_text(encoding="utf-8")
    fonts_link = base.index('href="/static/css/fonts.css"')
    assert fonts_link < base.index('href="/static/css/app.css"')
    for face in ("playground-cjk.woff2", "playground-cjk-bold.woff2"):
        assert re.search(
            rf'<link rel="preload" href="/static/fonts/{face}" as="font" type="font/woff2" crossorigin>', base
        ), face
    app_css = (ROOT / "static" / "css" / "app.css").read_text(encoding="utf-8")
    lists = dict(re.findall(r"(--font-\w+)\s*:\s*([^;]+);", app_css))
    assert set(lists) == {"--font-ui", "--font-mono"}, lists
    for name, stack in lists.items():
        assert stack.startswith('"Playground CJK", '), (name, stack)
    for css in sorted((ROOT / "static" / "css").glob("*.css")):
        if css.name == "fonts.css":
            continue
        for stack in re.findall(r"font-family\s*:\s*([^;}]+)", css.read_text(encoding="utf-8")):
            assert stack.strip() in ("var(--font-ui)", "var(--font-mono)", "inherit"), f"{css.name}: {stack}"


def test_licence_and_provenance_ship_with_the_font():
    ofl = (FONTS / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in ofl
    assert "Adobe" in ofl.splitlines()[0], "the copyright notice comes first"
    readme = (FONTS / "README.md").read_text(encoding="utf-8")
    assert "fonts-noto-cjk" in readme and "scripts/make_cjk_font.py" in readme
    count = len((FONTS / "playground-cjk.txt").read_text(encoding="utf-8").rstrip("\n"))
    assert f"{count} characters" in readme, "README is from the same run as the font"
