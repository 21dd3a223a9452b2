"""The progress store's tables (SQLAlchemy Core).  Changes go through migrations.py."""

from __future__ import annotations

from sqlalchemy import (
    Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, MetaData, String, Table, Text,
    UniqueConstraint,
)

metadata = MetaData()

schema_version = Table(
    "schema_version", metadata,
    Column("version", Integer, primary_key=True),
    Column("applied_at", DateTime(timezone=True), nullable=False),
    Column("description", String(200), nullable=False),
)

# The roster: one row per employee.  ``employee_id`` is also the learner id answers are
# recorded under (JupyterHub user names are the employee ids).
employees = Table(
    "employees", metadata,
    Column("employee_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("department", String(200), nullable=False),
    Column("role", String(64), nullable=False),
    Column("email", String(320), nullable=True),
    Column("active", Boolean, nullable=False, default=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Which tracks each employee must take, and by when.
enrolments = Table(
    "enrolments", metadata,
    Column("employee_id", String(64), ForeignKey("employees.employee_id", ondelete="CASCADE"),
           primary_key=True),
    Column("track", String(32), primary_key=True),
    Column("due_date", Date, nullable=True),
)

# Every answer a learner checks in a quiz widget.
answers = Table(
    "answers", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("learner_id", String(64), nullable=False),
    Column("track", String(32), nullable=False),
    Column("module", String(64), nullable=False),
    Column("question_id", String(160), nullable=False),
    Column("response", Text, nullable=False),  # JSON
    Column("correct", Boolean, nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("language", String(8), nullable=False),
    Column("answered_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("learner_id", "question_id", "attempt", name="uq_answer_attempt"),
)
Index("ix_answers_learner_module", answers.c.learner_id, answers.c.track, answers.c.module)

# A module is complete when every one of its questions has been answered correctly.
module_completions = Table(
    "module_completions", metadata,
    Column("learner_id", String(64), primary_key=True),
    Column("track", String(32), primary_key=True),
    Column("module", String(64), primary_key=True),
    Column("completed_at", DateTime(timezone=True), nullable=False),
)

# Per-learner choices that must survive a kernel restart (the language).
preferences = Table(
    "preferences", metadata,
    Column("learner_id", String(64), primary_key=True),
    Column("language", String(8), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
