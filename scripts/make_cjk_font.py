"""Make the Chinese web font the UI ships: a subset of Noto Sans CJK SC with only the characters
the interface uses, so that Chinese renders on machines without a CJK font and without a CDN.

Run it again whenever Chinese text is added (tests/test_fonts.py says when). It needs fontTools
and brotli in a throwaway venv (they are NOT dependencies of CNN Playground) and the Debian
package fonts-noto-cjk (Noto Sans CJK, SIL Open Font License 1.1), either installed:

    apt-get install -y fonts-noto-cjk
    python3 -m venv /tmp/fontvenv && /tmp/fontvenv/bin/pip install fonttools brotli
    /tmp/fontvenv/bin/python scripts/make_cjk_font.py

or only unpacked, which leaves the machine's own fonts as they were:

    cd /tmp && apt-get download fonts-noto-cjk && dpkg-deb -x fonts-noto-cjk_*.deb /tmp/noto
    /tmp/fontvenv/bin/python scripts/make_cjk_font.py --fonts /tmp/noto/usr/share/fonts/opentype/noto

Which characters: every non-ASCII character in the values of the message catalogues
(static/i18n/*.json) and in templates/**/*.html and static/js/**/*.js, plus a fixed set of
fullwidth punctuation. Of these, the font takes the East Asian Wide and Fullwidth ones
(ideographs, CJK punctuation, fullwidth forms); the rest (x, minus, arrows, curly quotes, the
ellipsis...) are left to the system font, because Noto CJK draws them one em wide and
"3×1 + 4×2" would look spaced out. The page stylesheet's unicode-range is the CJK blocks that
the covered characters fall in, so Latin text keeps the system font and English pages never
download the font.

It writes, under static/:
    fonts/playground-cjk.woff2       Noto Sans CJK SC Regular, subset (weights up to 500)
    fonts/playground-cjk-bold.woff2  Noto Sans CJK SC Bold, subset (weights 600 and up: titles,
                                     legends, the current lab)
    fonts/playground-cjk.txt         the covered characters, sorted, as one line
    fonts/OFL.txt                    the copyright notice and the licence
    fonts/README.md                  where the font comes from and how it was made
    css/fonts.css                    the @font-face rules ("Playground CJK")
The same inputs give the same bytes (the source font's timestamp is kept).
"""

import argparse
import gzip
import json
import re
import unicodedata
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

ROOT = Path(__file__).resolve().parent.parent
DEBIAN_FONTS = Path("/usr/share/fonts/opentype/noto")
FAMILY = "Playground CJK"
SOURCE_FAMILY = "Noto Sans CJK SC"
# (file name in the Debian package, output name, CSS font-weight)
FACES = [
    ("NotoSansCJK-Regular.ttc", "playground-cjk.woff2", 400),
    ("NotoSansCJK-Bold.ttc", "playground-cjk-bold.woff2", 700),
]
# Fullwidth punctuation a translator is likely to type, covered even before anyone uses it.
FIXED = "　、。〈〉《》「」『』【】〔〕！（），：；？～"
# The Unicode blocks the font may cover (and the CSS unicode-range is made of).
CJK_BLOCKS = [
    (0x3000, 0x303F, "CJK Symbols and Punctuation"),
    (0x3400, 0x4DBF, "CJK Unified Ideographs Extension A"),
    (0x4E00, 0x9FFF, "CJK Unified Ideographs"),
    (0xF900, 0xFAFF, "CJK Compatibility Ideographs"),
    (0xFE30, 0xFE4F, "CJK Compatibility Forms"),
    (0xFF00, 0xFFEF, "Halfwidth and Fullwidth Forms"),
]


def catalogue_strings(value):
    """Every string value in a parsed JSON catalogue (nested objects and lists included)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from catalogue_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from catalogue_strings(item)


def ui_texts(root: Path) -> dict[str, str]:
    """The text of every UI source, by path relative to the repository."""
    texts = {}
    for path in sorted((root / "static" / "i18n").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        texts[str(path.relative_to(root))] = "\n".join(catalogue_strings(data))
    for folder, pattern in (("templates", "*.html"), ("static/js", "*.js")):
        for path in sorted((root / folder).rglob(pattern)):
            texts[str(path.relative_to(root))] = path.read_text(encoding="utf-8")
    return texts


def is_wide(char: str) -> bool:
    """East Asian Wide or Fullwidth: what a CJK font must draw."""
    return unicodedata.east_asian_width(char) in ("W", "F")


def block_of(char: str):
    return next((block for block in CJK_BLOCKS if block[0] <= ord(char) <= block[1]), None)


def collect(root: Path) -> tuple[str, str]:
    """(characters for the font, other non-ASCII characters left to the system font), sorted."""
    used = set(FIXED)
    for text in ui_texts(root).values():
        used.update(c for c in text if ord(c) > 127 and c not in "\n\r\t")
    wide = {c for c in used if is_wide(c)}
    outside = sorted(c for c in wide if block_of(c) is None)
    if outside:
        raise SystemExit(
            f"wide characters outside the CJK blocks this script knows: {outside!r}; add their block to CJK_BLOCKS"
        )
    return "".join(sorted(wide)), "".join(sorted(used - wide))


def unicode_range(chars: str) -> str:
    """The CSS unicode-range: the CJK blocks the characters fall in."""
    blocks = sorted({block_of(c) for c in chars})
    return ", ".join(f"U+{start:04X}-{end:04X}" for start, end, _ in blocks)


def load_face(ttc: Path):
    """The Simplified Chinese face of a Noto Sans CJK collection."""
    for font in TTCollection(str(ttc)).fonts:
        if font["name"].getDebugName(1) == SOURCE_FAMILY:
            return font
    raise SystemExit(f"{ttc} has no face named {SOURCE_FAMILY!r}")


def make_subset(ttc: Path, chars: str, out: Path) -> None:
    font = load_face(ttc)
    cmap = font.getBestCmap()
    missing = [c for c in chars if ord(c) not in cmap]
    if missing:
        raise SystemExit(f"{ttc.name} has no glyph for {''.join(missing)!r}")
    options = subset.Options()
    options.flavor = "woff2"
    options.hinting = False  # browsers do not use CFF hints at screen sizes
    options.desubroutinize = True  # compresses better under brotli
    options.name_IDs = list(range(15))  # keep copyright, trademark and licence (0-14)
    options.drop_tables += ["vhea", "vmtx", "VORG"]  # horizontal text only
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(c) for c in chars])
    subsetter.subset(font)
    font.recalcTimestamp = False  # same inputs, same bytes
    font.flavor = "woff2"
    font.save(str(out))


def debian_package(fonts_dir: Path) -> tuple[str, str]:
    """(package version, licence paragraph of the Debian copyright file) next to the fonts."""
    doc = fonts_dir.resolve().parents[2] / "doc" / "fonts-noto-cjk"  # usr/share/doc/...
    with gzip.open(doc / "changelog.Debian.gz", "rt", encoding="utf-8") as f:
        version = re.match(r"fonts-noto-cjk \(([^)]+)\)", f.readline()).group(1)
    copyright_text = (doc / "copyright").read_text(encoding="utf-8")
    paragraph = re.search(r"^License: SIL-1\.1\n((?: .*\n)+)", copyright_text, re.M).group(1)
    licence = "\n".join("" if line.strip() == "." else line[1:] for line in paragraph.splitlines())
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence, "unexpected licence text"
    return version, licence.strip() + "\n"


def write_css(out: Path, chars: str) -> None:
    rules = [
        f"""@font-face {{
  font-family: "{FAMILY}";
  src: url("../fonts/{name}") format("woff2");
  font-weight: {weight};
  font-style: normal;
  font-display: swap;
  unicode-range: {unicode_range(chars)};
}}
"""
        for _, name, weight in FACES
    ]
    out.write_text(
        "/* Made by scripts/make_cjk_font.py: do not edit, run the script. The Chinese characters of\n"
        f"   the UI, from a subset of {SOURCE_FAMILY} (SIL OFL 1.1, see static/fonts/OFL.txt). */\n" + "".join(rules),
        encoding="utf-8",
    )


def write_readme(out: Path, chars: str, version: str, font_version: str) -> None:
    sizes = "\n".join(
        f"- `{name}`: {SOURCE_FAMILY} {Path(ttc).stem.split('-')[-1]} ({font_version}), "
        f"{(out.parent / name).stat().st_size:,} bytes"
        for ttc, name, _ in FACES
    )
    out.write_text(
        f"""# The Chinese web font

The UI's Chinese text is drawn with "{FAMILY}" (static/css/fonts.css), a subset of
**{SOURCE_FAMILY}** holding only the {len(chars)} characters the interface uses
(`playground-cjk.txt`), so that Chinese renders on machines without a CJK font, offline.

{sizes}

Source: the Debian package `fonts-noto-cjk` version `{version}` ({DEBIAN_FONTS}/NotoSansCJK-*.ttc),
upstream https://github.com/notofonts/noto-cjk. Licence: SIL Open Font License 1.1, see `OFL.txt`;
these subsets are Modified Versions under that licence and are distributed under it.

Made by `scripts/make_cjk_font.py` (read its docstring), with fontTools and brotli in a throwaway
venv:

    apt-get install -y fonts-noto-cjk    # or unpack the .deb and pass --fonts, see the script
    /tmp/fontvenv/bin/python scripts/make_cjk_font.py

Rerun it after adding Chinese text to a catalogue, template or script: tests/test_fonts.py fails
until every wide character is covered.
""",
        encoding="utf-8",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--fonts",
        type=Path,
        default=DEBIAN_FONTS,
        help="folder with NotoSansCJK-Regular.ttc and NotoSansCJK-Bold.ttc from fonts-noto-cjk",
    )
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository")
    args = parser.parse_args()

    chars, left = collect(args.root)
    out = args.root / "static" / "fonts"
    out.mkdir(parents=True, exist_ok=True)
    for ttc, name, _ in FACES:
        make_subset(args.fonts / ttc, chars, out / name)
    (out / "playground-cjk.txt").write_text(chars + "\n", encoding="utf-8")

    version, licence = debian_package(args.fonts)
    names = load_face(args.fonts / FACES[0][0])["name"]
    notice = f"{names.getDebugName(0)}\n{names.getDebugName(7)}\n\n"
    (out / "OFL.txt").write_text(notice + licence, encoding="utf-8")
    font_version = names.getDebugName(5).split(";")[0]
    write_readme(out / "README.md", chars, version, font_version)
    write_css(args.root / "static" / "css" / "fonts.css", chars)

    print(f"{len(chars)} characters in {unicode_range(chars)}")
    for _, name, _ in FACES:
        print(f"{name}: {(out / name).stat().st_size:,} bytes")
    print(f"left to the system font: {left}")


if __name__ == "__main__":
    main()
