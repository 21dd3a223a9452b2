"""Where the course's files are, wherever the package was installed.

The learners' files (question banks ``assessments/``, lesson notebooks ``course/``, the dashboard
notebook and its Voila template ``dashboard/``) are package data: a built wheel carries a copy of
the repository's folders in ``iso20k/courseware/`` (setup.py copies them at build time; the
repository's folders stay the source of truth).  An editable install (``pip install -e``, what
``scripts/start.sh`` and ``scripts/test.sh`` make) reads the checkout's folders themselves: the
installer records the checkout in the package's ``direct_url.json`` (PEP 610).

The trainers' files (``exams/`` with the answer keys, ``content/``, ``source/``, ``release/``,
``nbgrader_config.py``, the gradebook) are not package data, so that no learner's server carries
the keys.  In an editable install they are the checkout's; otherwise they live in the nbgrader
course folder, the ``ISO20K_COURSE_ROOT`` setting (default: the folder a command runs in, as for
nbgrader itself).
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import metadata, resources
from pathlib import Path
from urllib.parse import unquote, urlparse

#: The package-data folder (inside the installed ``iso20k`` package) holding the learners' files.
PACKAGED = "courseware"
#: The repository folders copied into it when a wheel is built.
PACKAGED_FOLDERS = ("assessments", "course", "dashboard")


@lru_cache(maxsize=1)
def editable_checkout() -> Path | None:
    """The repository this package was installed from with ``pip install -e``, else None."""
    # Every record of the distribution: the build's iso20k.egg-info in the checkout itself may be
    # found first (when Python runs in the checkout), and it carries no direct_url.json.
    for dist in metadata.distributions(name="iso20k"):
        record = dist.read_text("direct_url.json")
        if not record:
            continue
        info = json.loads(record)
        url = urlparse(info.get("url", ""))
        if info.get("dir_info", {}).get("editable") and url.scheme == "file":
            checkout = Path(unquote(url.path))
            return checkout if (checkout / "assessments").is_dir() else None
        return None  # installed from a wheel or a folder, not editable
    return None


def packaged_root() -> Path:
    """The package-data folder of an installed wheel (missing in an editable install)."""
    return Path(str(resources.files("iso20k"))) / PACKAGED


def learner_folder(name: str) -> Path:
    """One of :data:`PACKAGED_FOLDERS`: the checkout's in an editable install, else the copy
    installed with the package."""
    checkout = editable_checkout()
    if checkout is not None and (checkout / name).is_dir():
        return checkout / name
    return packaged_root() / name


def checkout_folder(name: str) -> Path | None:
    """A folder of the checkout in an editable install (e.g. ``exams``), else None."""
    checkout = editable_checkout()
    return checkout / name if checkout is not None else None


def default_course_root() -> Path:
    """The nbgrader course folder when ISO20K_COURSE_ROOT is not set: the checkout in an editable
    install, else the current folder (where nbgrader itself looks)."""
    checkout = editable_checkout()
    if checkout is not None:
        return checkout
    try:
        return Path.cwd()
    except OSError:  # the current folder was deleted: settings must still load
        return Path.home()
