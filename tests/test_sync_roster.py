"""iso20k sync-roster puts roster employees into a real nbgrader gradebook."""

from __future__ import annotations

from nbgrader.api import Gradebook

from iso20k.grading.students import sync_students
from iso20k.roster import import_roster


def test_roster_employees_become_nbgrader_students(tmp_path, store):
    roster = tmp_path / "r.csv"
    roster.write_text("employee_id,name,department,role,email\nE1,王小明,运维部,staff,wang@example.com\n"
                      "E2,Alice Wong,Service Desk,manager,\n", encoding="utf-8")
    import_roster(roster, store)
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    assert sync_students(store, url) == (2, 0)
    assert sync_students(store, url) == (0, 2)  # idempotent
    with Gradebook(url) as gb:
        students = {s.id: (s.first_name, s.last_name, s.email) for s in gb.students}
    assert students == {"E1": ("小明", "王", "wang@example.com"), "E2": ("Alice", "Wong", None)}
