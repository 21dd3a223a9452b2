"""The CJK font embedded in certificates and evidence PDFs.

Debian's fonts-noto-cjk ships OpenType collections (.ttc) holding the Japanese, Korean, Simplified
and Traditional Chinese faces; fpdf2 reads one face of a collection (``collection_font_number``),
so the Simplified Chinese face is looked up by name with fontTools.  fpdf2 embeds only the glyphs
a document uses (a subset)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path


class FontMissing(RuntimeError):
    pass


@lru_cache(maxsize=8)
def face_index(path: str) -> int:
    """Index of the Simplified Chinese face in a collection (0 for a single font file)."""
    if not path.lower().endswith((".ttc", ".otc")):
        return 0
    from fontTools.ttLib import TTCollection

    collection = TTCollection(path, lazy=True)
    try:
        for index, font in enumerate(collection.fonts):
            family = font["name"].getDebugName(1) or ""
            if family.rstrip().endswith(" SC") or "SC" in family.split():
                return index
    finally:
        collection.close()
    return 0


def prepare_subset(path: Path, text: str, folder: Path) -> Path:
    """A font file holding only the glyphs of ``text`` (plus ASCII), cut from the settings' font once
    for a batch of documents, so that each document does not parse the whole 20 MB collection.
    Each document still embeds its own subset of it."""
    import string

    from fontTools import subset
    from fontTools.ttLib import TTFont

    path = Path(path)
    if not path.is_file():
        raise FontMissing(f"The font {path} (setting ISO20K_CERTIFICATE_FONT) does not exist. Install the "
                          "Debian package fonts-noto-cjk or point the setting at a font with Chinese glyphs.")
    font = TTFont(str(path), fontNumber=face_index(str(path)), lazy=True)
    options = subset.Options()
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.layout_features = []
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(set(text + string.printable))))
    subsetter.subset(font)
    target = Path(folder) / "cjk-subset.otf"
    font.save(str(target))
    font.close()
    return target


def add_cjk_font(pdf, path: Path, family: str = "cjk") -> str:
    """Register the CJK font with an fpdf2 document; returns its family name."""
    path = Path(path)
    if not path.is_file():
        raise FontMissing(f"The font {path} (setting ISO20K_CERTIFICATE_FONT) does not exist. Install the "
                          "Debian package fonts-noto-cjk or point the setting at a font with Chinese glyphs.")
    pdf.add_font(family, fname=str(path), collection_font_number=face_index(str(path)))
    return family
