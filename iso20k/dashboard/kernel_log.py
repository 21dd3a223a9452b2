"""The log of a dashboard page's kernel: lines to the kernel's own stderr (which the server's log
collects), never to the page (a kernel's ``sys.stderr`` is the page's output)."""

from __future__ import annotations

import logging
import sys

log = logging.getLogger("iso20k.dashboard.kernel")
if not log.handlers:
    _handler = logging.StreamHandler(sys.__stderr__)
    _handler.setFormatter(logging.Formatter("[iso20k dashboard] %(message)s"))
    log.addHandler(_handler)
    log.setLevel(logging.INFO)
    log.propagate = False
