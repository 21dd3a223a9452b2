"""Chinese terms the standard fixes, checked where a glossary lookup cannot tell the sense.

审核 is *audit* (内部审核, 认证审核).  Where the standard means *review* (clause 7.5.2: documented
information is reviewed and approved; 管理评审), the term is 评审: 评审和批准, 评审人.  So 审核 next
to 批准 (approve), or as the person who reviews a document (审核人), is the wrong word, except
inside a quotation (“...” or 「...」), where the course quotes the 2005-era roadmap's own wording.
"""

from __future__ import annotations

import re

#: 审核 in the sense of review: before 批准/审批 (with or without 和/与/及/并/、), or 审核人 (not 审核人日).
REVIEW_AS_AUDIT = re.compile(r"审核(?=(?:[和与及并、]|以及)?(?:批准|审批))|审核人(?![员日天])")
_QUOTED = re.compile(r"“[^”\n]*”|「[^」\n]*」")


def review_term_problems(text: str, language: str = "zh") -> list[str]:
    """Each place in ``text`` where 审核 stands for review, as 'line N: ... -> use 评审'."""
    if language != "zh":
        return []
    problems = []
    for number, line in enumerate(text.splitlines(), 1):
        quoted = [m.span() for m in _QUOTED.finditer(line)]
        for m in REVIEW_AS_AUDIT.finditer(line):
            if any(a <= m.start() < b for a, b in quoted):
                continue
            context = line[max(0, m.start() - 8):m.end() + 8].strip()
            problems.append(f"line {number}: '{context}' uses 审核 (audit) where the standard says 评审 "
                            "(review, clause 7.5.2: 评审和批准, 评审人); quote the seed in “...” if you mean its wording")
    return problems
