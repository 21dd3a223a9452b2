"""``iso20k hub`` keeps the quiz keys for the records service: it refuses keyed banks where
learners' servers read them, learners' copies where the records judge, and keyed banks inside
the course folder; it closes the keyed folder (0700/0600) at every start."""

from __future__ import annotations

import shutil

import pytest

from iso20k.banks.public import write_learner_banks
from iso20k.hub.config import HubConfigError, prepare_keyed_banks
from iso20k.settings import REPO_ROOT, Settings


@pytest.fixture
def layout(tmp_path):
    learners = tmp_path / "package-banks"
    write_learner_banks(REPO_ROOT / "assessments", learners)
    keyed = tmp_path / "keyed-banks"
    shutil.copytree(REPO_ROOT / "assessments", keyed)
    for path in [keyed, *keyed.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    course = tmp_path / "course"
    course.mkdir()

    def settings(**over):
        values = dict(banks_dir=learners, keyed_banks_dir=keyed, course_root=course,
                      exchange_dir=tmp_path / "exchange", hub_records_user=f"nobody-{tmp_path.name[-6:]}")
        values.update(over)
        return Settings(**values)

    return tmp_path, settings


def test_the_keyed_banks_are_closed_to_everyone_but_the_records_service(layout):
    root, settings = layout
    prepare_keyed_banks(settings())
    keyed = root / "keyed-banks"
    modes = {oct(p.stat().st_mode & 0o777) for p in [keyed, *keyed.rglob("*")] if p.is_dir()}
    files = {oct(p.stat().st_mode & 0o777) for p in keyed.rglob("*.yaml")}
    assert modes == {"0o700"} and files == {"0o600"}


def test_keys_where_learners_read_are_refused(layout):
    root, settings = layout
    with pytest.raises(HubConfigError, match="carry answers"):
        prepare_keyed_banks(settings(banks_dir=REPO_ROOT / "assessments"))


def test_learners_copies_as_the_keyed_banks_are_refused(layout):
    root, settings = layout
    with pytest.raises(HubConfigError, match="learners' copies without answers"):
        prepare_keyed_banks(settings(keyed_banks_dir=root / "package-banks"))


def test_keyed_banks_inside_the_course_folder_or_missing_are_refused(layout):
    root, settings = layout
    shutil.copytree(root / "keyed-banks", root / "course" / "assessments")
    with pytest.raises(HubConfigError, match="inside the course folder"):
        prepare_keyed_banks(settings(keyed_banks_dir=root / "course" / "assessments"))
    with pytest.raises(HubConfigError, match="is not a folder"):
        prepare_keyed_banks(settings(keyed_banks_dir=root / "nowhere"))


def test_a_link_among_the_keyed_banks_is_refused(layout):
    root, settings = layout
    (root / "keyed-banks" / "all-staff" / "extra.yaml").symlink_to(root / "keyed-banks" / "start" / "welcome.yaml")
    with pytest.raises(HubConfigError, match="is a link"):
        prepare_keyed_banks(settings())
