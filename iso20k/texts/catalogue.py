"""The gettext catalogue of the learner and manager texts, for translators and for the build.

The English texts in the code are the message ids (``t("Check answer", language)``); Babel finds
them in ``iso20k/`` (:func:`extract`), the template ``locale/iso20k.pot`` lists them, each
language's ``locale/<locale>/LC_MESSAGES/iso20k.po`` translates them, and the build compiles every
``.po`` into the ``.mo`` the package reads at run time (setup.py; see :func:`compile_all`).

A translator's round, from the repository::

    python -m iso20k.texts.catalogue update    # extract into the .pot, merge it into every .po
    # translate the new or changed (fuzzy) entries in iso20k/texts/locale/zh_CN/LC_MESSAGES/iso20k.po
    python -m iso20k.texts.catalogue compile   # the .mo files (pip install -e . does it too)

This module needs only Babel (setup.py loads it by path, without the package's dependencies)."""

from __future__ import annotations

import io
import sys
from pathlib import Path

DOMAIN = "iso20k"
HERE = Path(__file__).resolve().parent
LOCALE_DIR = HERE / "locale"
PACKAGE_DIR = HERE.parent  # iso20k/
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"
LOCALES = ("zh_CN",)

#: The functions whose string arguments are texts to translate (Babel's keyword specification):
#: ``t(message, language, **values)``, ``pt(context, message, language, **values)`` and the
#: marker ``N_(message)`` for texts looked up later (labels of statuses, roles, tracks).
KEYWORDS = {"t": (1,), "pt": ((1, "c"), 2), "N_": (1,)}
COMMENT_TAGS = ("TRANSLATORS:",)
HEADER = {"project": "iso20k", "version": "0.1", "msgid_bugs_address": "the training office",
          "copyright_holder": "the iso20k authors",
          "header_comment": "# The learner's and the manager's texts of the iso20k course (English source).\n"
                            "# How to update and translate: iso20k/texts/catalogue.py.\n#"}


def extract_python(fileobj, keywords, comment_tags, options):
    """Babel's extraction method for Python, read through :mod:`ast`: only calls of the keyword
    functions by name count (a variable ``t`` indexed elsewhere does not), calls inside f-strings
    included; a ``# TRANSLATORS:`` comment on the lines just above a call goes with it."""
    import ast
    import tokenize

    source = fileobj.read().decode("utf-8")
    comments: dict[int, str] = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            comments[token.start[0]] = token.string.lstrip("#").strip()
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in keywords):
            continue
        args = tuple(a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None for a in node.args)
        notes, line = [], node.lineno - 1
        while line in comments:
            notes.insert(0, comments[line])
            line -= 1
        notes = [n for n in notes if any(n.startswith(tag) for tag in comment_tags)]
        yield node.lineno, node.func.id, args, notes


#: Which files hold texts, and how to read them: the Python code, and the faces' Jinja templates.
METHODS = [("**.py", extract_python), ("**/templates/**.html", "jinja2.ext:babel_extract")]


def po_file(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_file(locale: str, root: Path | None = None) -> Path:
    """Where the compiled catalogue of ``locale`` goes under ``root`` (this folder by default)."""
    return (root or HERE) / "locale" / locale / "LC_MESSAGES" / f"{DOMAIN}.mo"


def extract(package_dir: Path = PACKAGE_DIR):
    """A Babel catalogue of every text the code marks, read from the sources under ``package_dir``."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir

    catalog = Catalog(domain=DOMAIN, charset="utf-8", fuzzy=False, **HEADER)
    for filename, lineno, message, comments, context in extract_from_dir(
            package_dir, METHODS, keywords=KEYWORDS, comment_tags=COMMENT_TAGS, strip_comment_tags=True):
        catalog.add(message, None, [(f"iso20k/{filename}", lineno)], auto_comments=comments, context=context)
    return catalog


def read(path: Path):
    from babel.messages.pofile import read_po

    with path.open("rb") as f:
        return read_po(f, domain=DOMAIN)


def _write(catalog, path: Path) -> None:
    from babel.messages.pofile import write_po

    out = io.BytesIO()
    # No line numbers: the files change when texts change, not when code around them moves.
    write_po(out, catalog, width=100, sort_output=True, include_lineno=False, omit_header=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(out.getvalue())


def update() -> None:
    """Extract into the template and merge it into every language's catalogue (new texts come
    in untranslated, changed ones fuzzy: a translator looks at both)."""
    template = extract()
    _write(template, TEMPLATE)
    for locale in LOCALES:
        path = po_file(locale)
        if path.is_file():
            catalog = read(path)
            catalog.update(template, update_header_comment=False)
            catalog.obsolete.clear()  # gone from the code: git keeps the history
        else:
            from babel.messages.catalog import Catalog

            catalog = Catalog(locale=locale, domain=DOMAIN, charset="utf-8", fuzzy=False, **HEADER)
            catalog.update(template)
        for field, value in HEADER.items():
            setattr(catalog, field, value)
        catalog.last_translator = catalog.language_team = "the training office"
        _write(catalog, path)


def compiled(po_path: Path) -> bytes:
    """The ``.mo`` bytes of one ``.po`` file (fuzzy entries left out: English shows instead)."""
    from babel.messages.mofile import write_mo

    out = io.BytesIO()
    write_mo(out, read(po_path), use_fuzzy=False)
    return out.getvalue()


def compile_all(root: Path | None = None) -> list[Path]:
    """Compile every language's ``.po`` into its ``.mo`` under ``root`` (this folder by default:
    the checkout, for an editable install; the build folder, for a wheel)."""
    written = []
    for locale in LOCALES:
        target = mo_file(locale, root)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(compiled(po_file(locale)))
        written.append(target)
    return written


def main(argv: list[str]) -> int:
    command = argv[0] if argv else ""
    if command == "update":
        update()
    elif command == "compile":
        for path in compile_all():
            print(path)
    else:
        print("usage: python -m iso20k.texts.catalogue update|compile", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
