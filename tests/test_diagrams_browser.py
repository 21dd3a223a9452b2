"""Course diagrams render with no network: in a real Voila process and in real JupyterLab,
driven by headless Chromium with every non-local request refused."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from browser import TOKEN, chromium_page, free_port, jupyter_lab, serve
from iso20k.settings import REPO_ROOT

pytestmark = pytest.mark.slow
NOTEBOOK = "03-roadmap.zh.ipynb"


def offline(page) -> list[str]:
    """Refuse every request that leaves this machine; return the list of refused URLs."""
    refused: list[str] = []

    def route(r):
        host = r.request.url.split("/")[2] if "://" in r.request.url else ""
        if r.request.url.startswith("data:") or host.startswith(("127.0.0.1", "localhost")):
            r.continue_()
        else:
            refused.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    return refused


def rendered_diagrams(page) -> list[int]:
    page.wait_for_function("document.querySelectorAll('img[src^=\"data:image/svg+xml\"]').length > 0", timeout=90_000)
    page.wait_for_timeout(500)
    return page.eval_on_selector_all('img[src^="data:image/svg+xml"]', "els => els.map(e => e.naturalWidth)")


def test_diagrams_render_offline_in_voila(tmp_path):
    shutil.copy(REPO_ROOT / "course" / "all-staff" / NOTEBOOK, tmp_path / NOTEBOOK)
    port = free_port()
    env = dict(os.environ, ISO20K_DATA_DIR=str(tmp_path / "data"), ISO20K_LEARNER_ID="E1",
               ISO20K_BANKS_DIR=str(REPO_ROOT / "assessments"))
    cmd = [str(Path(sys.executable).with_name("voila")), str(tmp_path / NOTEBOOK), "--no-browser",
           f"--port={port}", "--Voila.ip=127.0.0.1"]
    with serve(cmd, f"http://127.0.0.1:{port}/", env, tmp_path / "voila.log"):
        # plain Voila's default template (not a page the product serves) links Font Awesome on a CDN
        with chromium_page(tolerated=("fontawesome",)) as page:
            refused = offline(page)
            page.goto(f"http://127.0.0.1:{port}/", timeout=120_000)
            widths = rendered_diagrams(page)
            assert len(widths) == 2 and all(w > 300 for w in widths), widths
            page.wait_for_selector(".iso20k-question", timeout=60_000)  # the quizzes run in Voila too
            assert "提交答案" in page.inner_text(".iso20k-question")
    # Voila's default template asks a CDN for Font Awesome icons; refused here, the page still
    # works. (Serving Voila without it is the dashboard's job.) Nothing else may leave.
    assert all("fontawesome" in u for u in refused), refused


def test_diagrams_render_offline_in_jupyterlab(tmp_path):
    root = tmp_path / "lab"
    root.mkdir()
    shutil.copy(REPO_ROOT / "course" / "all-staff" / NOTEBOOK, root / NOTEBOOK)
    with jupyter_lab(root, tmp_path, {"ISO20K_DATA_DIR": str(tmp_path / "data")}) as base:
        with chromium_page() as page:
            refused = offline(page)
            page.goto(f"{base}/lab/tree/{NOTEBOOK}?token={TOKEN}", timeout=120_000)
            widths = rendered_diagrams(page)
            assert len(widths) >= 1 and all(w > 300 for w in widths), widths
    assert refused == [], refused
