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


def add_cjk_font(pdf, path: Path, family: str = "cjk") -> str:
    """Register the CJK font with an fpdf2 document; returns its family name."""
    path = Path(path)
    if not path.is_file():
        raise FontMissing(f"The font {path} (setting ISO20K_CERTIFICATE_FONT) does not exist. Install the "
                          "Debian package fonts-noto-cjk or point the setting at a font with Chinese glyphs.")
    pdf.add_font(family, fname=str(path), collection_font_number=face_index(str(path)))
    return family
