"""PostgreSQL roles per service ('iso20k store-roles'): the records role adds answers and trail
entries but can change or delete none of them, the dashboard role only reads, and the passwords
never show in output or on a command line."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from iso20k.audit import append, verify_trail
from iso20k.store import ProgressStore
from iso20k.store.engine import make_engine


@pytest.fixture(scope="module")
def cluster():
    if os.geteuid() != 0 and not os.environ.get("ISO20K_TEST_POSTGRES"):
        pytest.skip("PostgreSQL test clusters are started as root (CI) or with ISO20K_TEST_POSTGRES=1")
    from postgres import PostgresCluster

    c = PostgresCluster().start()
    yield c
    c.stop()


def test_each_service_role_gets_only_its_rights(cluster, tmp_path):
    owner = cluster.create_database()
    name = owner.rsplit("/", 1)[1]
    tag = secrets.token_hex(3)
    records_pw, dashboard_pw = secrets.token_urlsafe(18), secrets.token_urlsafe(18)
    records = cluster.url(name, user=f"rec_{tag}", password=records_pw)
    dashboard = cluster.url(name, user=f"dash_{tag}", password=dashboard_pw)
    admin = cluster.url("postgres", user="postgres", password=cluster.superuser_password)
    env = {**os.environ, "ISO20K_ENV_FILE": "", "ISO20K_DATA_DIR": str(tmp_path), "ISO20K_DB_URL": owner,
           "ISO20K_DB_ADMIN_URL": admin, "ISO20K_HUB_RECORDS_DB_URL": records,
           "ISO20K_HUB_DASHBOARD_DB_URL": dashboard}
    done = subprocess.run([sys.executable, "-m", "iso20k.cli", "store-roles"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Role rec_{tag}: created" in done.stdout and f"Role dash_{tag}: created" in done.stdout
    for secret in (records_pw, dashboard_pw, cluster.superuser_password, cluster.app_password):
        assert secret not in done.stdout + done.stderr
    again = subprocess.run([sys.executable, "-m", "iso20k.cli", "store-roles"], env=env, capture_output=True,
                           text=True, timeout=120)
    assert again.returncode == 0 and "password set" in again.stdout, again.stdout + again.stderr
    log = (cluster.folder / "server.log").read_text(errors="replace")
    assert records_pw not in log and dashboard_pw not in log

    # the records service's role: records answers and trail entries through the product
    store = ProgressStore(records, anchor_dir=tmp_path / "audit-anchors" / "answers")
    store.record_answer("E1", "all-staff", "m1", "all-staff/m1/q1", "a", True, "en", ["all-staff/m1/q1"])
    store.set_language("E1", "zh")
    store.set_language("E1", "en")
    append(store, "tester", "note", "x", {"n": 1})
    # ... and, as the hub's reminders service, claims a reminder and marks it sent with its trail entry
    from iso20k.store import reminders as stored_reminders

    claimed = stored_reminders.claim(store, "overdue", "E1", "all-staff:2026-11-27:overdue-1", "e1@example.com", "Ops", [])
    stored_reminders.mark_sent(store, claimed, "reminders service", "reminder-sent", "E1", {"rule": "overdue"})
    for statement in ("UPDATE answers SET correct = false", "DELETE FROM answers",
                      "DELETE FROM module_completions", "UPDATE audit_trail SET actor = 'someone else'",
                      "DELETE FROM audit_trail", "TRUNCATE audit_trail", "DELETE FROM employees",
                      "DROP TABLE audit_trail", "DROP TRIGGER audit_trail_append_only ON audit_trail",
                      "CREATE TABLE mine (x int)", "UPDATE store_changes SET version = 0",
                      "DELETE FROM store_changes", "ALTER TABLE answers DISABLE TRIGGER iso20k_changes_insert",
                      "DELETE FROM reminders"):
        with pytest.raises(DBAPIError, match="permission denied|must be owner|accepts new rows only"):
            with store.engine.begin() as conn:
                conn.execute(text(statement))
    store.close()

    # the dashboard's role reads and writes nothing
    engine = make_engine(dashboard)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM answers")).scalar() == 1
        # the change counters (store/changes.py), kept by triggers running as the tables' owner
        # while the records role added the answer, are readable and agree
        assert conn.execute(text("SELECT sum(row_count) FROM store_changes WHERE name = 'answers'")).scalar() == 1
    for statement in ("INSERT INTO preferences VALUES ('E2', 'en', now())", "UPDATE answers SET correct = false",
                      "DELETE FROM audit_trail"):
        with pytest.raises(DBAPIError, match="permission denied"):
            with engine.begin() as conn:
                conn.execute(text(statement))
    engine.dispose()
    owner_store = ProgressStore(owner)
    report = verify_trail(owner_store, None, tmp_path / "audit-trail-head.json")
    assert report.ok and report.answers == 1 and report.completions == 1, report.text()
    owner_store.close()
