"""Parse a module's Markdown source (``content/<track>/<NN>-<module>.<lang>.md``) into blocks."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

_QUIZ = re.compile(r"^:::\s*quiz\s+(\S+)\s*$")
_CODE = re.compile(r"^:::\s*code\s+(.+?)\s*$")
_TOC = re.compile(r"^:::\s*toc\s*$")
_FENCE = re.compile(r"^(```|~~~)")
_NAME = re.compile(r"^(?P<order>\d\d)-(?P<module>[a-z0-9-]+)\.(?P<lang>en|zh)\.md$")


class SourceError(ValueError):
    """A module source is not right; the message names the file and line."""


@dataclass
class Markdown:
    text: str


@dataclass
class Quiz:
    question_id: str  # full id: track/module/qNN
    line: int


@dataclass
class Diagram:
    spec: dict
    line: int


@dataclass
class Code:
    source: str


@dataclass
class Toc:
    pass


@dataclass
class ModuleSource:
    path: Path
    meta: dict
    blocks: list = field(default_factory=list)
    language: str = "en"
    order: int = 0

    @property
    def track(self) -> str:
        return self.meta["track"]

    @property
    def module(self) -> str:
        return self.meta["module"]

    @property
    def module_key(self) -> str:
        return f"{self.track}/{self.module}"

    @property
    def stem(self) -> str:
        return self.path.name.removesuffix(f".{self.language}.md")

    def quizzes(self) -> list[Quiz]:
        return [b for b in self.blocks if isinstance(b, Quiz)]

    def diagrams(self) -> list[Diagram]:
        return [b for b in self.blocks if isinstance(b, Diagram)]

    def headings(self) -> list[str]:
        return [line[3:].strip() for b in self.blocks if isinstance(b, Markdown)
                for line in b.text.splitlines() if line.startswith("## ")]

    def prose(self) -> str:
        return "\n".join(b.text for b in self.blocks if isinstance(b, Markdown))


def parse_source(path: Path, language: str | None = None) -> ModuleSource:
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise SourceError(f"{path}, line 1: the file must start with front matter between '---' lines")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise SourceError(f"{path}: the front matter has no closing '---' line") from None
    try:
        meta = yaml.safe_load("\n".join(lines[1:end])) or {}
    except yaml.YAMLError as exc:
        raise SourceError(f"{path}: the front matter is not valid YAML ({exc})") from None
    for key in ("track", "module", "title"):
        if not meta.get(key):
            raise SourceError(f"{path}, front matter: '{key}' is missing")

    match = _NAME.match(path.name)
    lang = language or (match.group("lang") if match else "en")
    source = ModuleSource(path, meta, language=lang, order=int(match.group("order")) if match else 0)
    buffer: list[str] = []

    def flush() -> None:
        chunk = "\n".join(buffer).strip("\n")
        if chunk.strip():
            source.blocks.append(Markdown(chunk))
        buffer.clear()

    i = end + 1
    in_fence = False
    while i < len(lines):
        line = lines[i]
        number = i + 1
        if not in_fence and line.strip().startswith("```diagram"):
            flush()
            j = i + 1
            while j < len(lines) and not lines[j].strip().startswith("```"):
                j += 1
            if j == len(lines):
                raise SourceError(f"{path}, line {number}: the diagram block is never closed with ```")
            try:
                spec = yaml.safe_load("\n".join(lines[i + 1:j]))
            except yaml.YAMLError as exc:
                raise SourceError(f"{path}, line {number}: the diagram block is not valid YAML ({exc})") from None
            source.blocks.append(Diagram(spec, number))
            i = j + 1
            continue
        if _FENCE.match(line.strip()):
            in_fence = not in_fence
        if not in_fence:
            quiz, code = _QUIZ.match(line.strip()), _CODE.match(line.strip())
            if quiz:
                flush()
                qid = quiz.group(1)
                full = qid if qid.count("/") == 2 else f"{meta['track']}/{meta['module']}/{qid}"
                source.blocks.append(Quiz(full, number))
                i += 1
                continue
            if code:
                flush()
                source.blocks.append(Code(code.group(1)))
                i += 1
                continue
            if _TOC.match(line.strip()):
                flush()
                source.blocks.append(Toc())
                i += 1
                continue
            if line.strip() == "<!-- cell -->":
                flush()
                i += 1
                continue
            if line.startswith("## "):
                flush()
        buffer.append(line)
        i += 1
    flush()
    return source
