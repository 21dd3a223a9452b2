"""The progress store's tables (SQLAlchemy Core).  Changes go through migrations.py."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger, Boolean, Column, Date, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, MetaData, String, Table, Text,
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
    # the learner's own hash chain (store/evidence.py): n-th answer, previous link, this link
    Column("lseq", Integer, nullable=True),
    Column("prev_hash", String(64), nullable=True),
    Column("hash", String(64), nullable=True),
    UniqueConstraint("learner_id", "question_id", "attempt", name="uq_answer_attempt"),
)
Index("ix_answers_learner_module", answers.c.learner_id, answers.c.track, answers.c.module)
Index("uq_answers_learner_lseq", answers.c.learner_id, answers.c.lseq, unique=True)

# A module is complete when every one of its questions has been answered correctly.
module_completions = Table(
    "module_completions", metadata,
    Column("learner_id", String(64), primary_key=True),
    Column("track", String(32), primary_key=True),
    Column("module", String(64), primary_key=True),
    Column("completed_at", DateTime(timezone=True), nullable=False),
    # the answers that completed it (JSON list of answer hashes) and this row's own hash
    Column("answers", Text, nullable=True),
    Column("hash", String(64), nullable=True),
)

# Per-learner choices that must survive a kernel restart (the language).
preferences = Table(
    "preferences", metadata,
    Column("learner_id", String(64), primary_key=True),
    Column("language", String(8), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# The audit trail: append-only, each entry chained to the previous one by its SHA-256.  Times and
# details are stored as text exactly as hashed, so every database gives back the same bytes.
audit_trail = Table(
    "audit_trail", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("recorded_at", String(40), nullable=False),  # ISO 8601, UTC
    Column("actor", String(200), nullable=False),
    Column("action", String(64), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("details", Text, nullable=False),  # canonical JSON
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False, unique=True),
)

# Certificates exactly as issued (the PDF's bytes and their SHA-256), and their revocation.
certificates = Table(
    "certificates", metadata,
    Column("code", String(40), primary_key=True),
    Column("employee_id", String(64), nullable=False, index=True),
    Column("employee_name", String(200), nullable=False),
    Column("department", String(200), nullable=False),
    Column("track", String(32), nullable=False),
    Column("score", Float, nullable=False),
    Column("max_score", Float, nullable=False),
    Column("passed_on", Date, nullable=False),
    Column("valid_until", Date, nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("company", String(400), nullable=False),
    Column("pdf", LargeBinary, nullable=False),
    Column("sha256", String(64), nullable=False, unique=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("revoked_by", String(200), nullable=True),
    Column("revoke_reason", Text, nullable=True),
    UniqueConstraint("employee_id", "track", "passed_on", name="uq_certificate_pass"),
)

# How often each table the company's record reads has changed, and how many rows it holds: the
# sums over a table's slots (PostgreSQL: kept by statement-level triggers, see changes.py; read in
# the reader's snapshot they say whether anything changed without counting or scanning a table).
store_changes = Table(
    "store_changes", metadata,
    Column("name", String(64), primary_key=True),
    Column("slot", Integer, primary_key=True, autoincrement=False),
    Column("version", BigInteger, nullable=False, default=0),
    Column("row_count", BigInteger, nullable=False, default=0),
)

# Reminders and escalations (iso20k/reminders/): one row per message and due step, written before
# the message is sent ('sending') and marked 'sent' (with its trail entry) before the next one, so
# a run killed half-way never sends a message twice; 'retry': put off or lost, tried again next
# run; 'refused': the mail server refused it (or gave up), reported and not tried again.
reminders = Table(
    "reminders", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("rule", String(32), nullable=False),
    Column("recipient", String(320), nullable=False),  # employee id, or the address outside the roster
    Column("step", String(200), nullable=False),  # the due step, e.g. all-staff:2027-01-15:before-7
    Column("address", String(320), nullable=False),
    Column("department", String(200), nullable=False),  # the recipient's ('' outside the roster)
    Column("covers", Text, nullable=False),  # JSON: the people and due steps the message is about
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("detail", Text, nullable=False),  # the mail server's answer to a refusal or a loss
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("trail_seq", Integer, nullable=True),  # the audit trail's entry of a sent message
    UniqueConstraint("rule", "recipient", "step", name="uq_reminder_step"),
)
