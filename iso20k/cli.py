"""The ``iso20k`` command.  Each command is a thin wrapper over a plain function."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from .settings import env_name, get_settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="iso20k")
def main() -> None:
    """ISO/IEC 20000 training course: quizzes, roster, progress, grading and dashboard."""


@main.command("check-banks")
@click.option("--banks-dir", type=click.Path(path_type=Path), default=None,
              help="Folder of question banks (default: the banks with the keys, ISO20K_KEYED_BANKS_DIR, when "
              "that folder exists, else the learners' copies, ISO20K_BANKS_DIR).")
@click.option("--exams-dir", type=click.Path(path_type=Path), default=None,
              help="Folder of the graded assessments compared with the banks (default: ISO20K_EXAMS_DIR).")
def check_banks(banks_dir: Path | None, exams_dir: Path | None) -> None:
    """Check every question bank and report each problem with file, question and field; with
    the keys at hand, fail when an exam item is near-identical to a formative question."""
    from .banks import BankError, load_catalog
    from .banks.similarity import exam_problems

    settings = get_settings()
    if banks_dir is None:
        keyed = settings.keyed_banks_dir
        banks_dir = keyed if keyed is not None and Path(keyed).is_dir() else settings.banks_dir
    try:
        catalog = load_catalog(banks_dir)
    except BankError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        raise SystemExit(f"{len(exc.problems)} problem(s) found; fix them and run 'iso20k check-banks' again.")
    by_type: dict[str, int] = {}
    for q in catalog.questions.values():
        by_type[q.type] = by_type.get(q.type, 0) + 1
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(by_type.items()))
    exams_dir = exams_dir or settings.exams_dir
    if not catalog.keyed:
        note = " Learners' copies (keys withheld): exam items not compared."
    elif exams_dir is None or not Path(exams_dir).is_dir():
        note = f" No exams at {exams_dir}: exam items not compared."
    else:
        from .grading.exam_model import ExamError
        from .grading.item_pool import load_pools

        try:
            pools = load_pools(Path(exams_dir))
            duplicates = exam_problems(catalog, [p.exam.model_copy(update={"items": [
                *p.items.values(), *(i for i in p.exam.items if i.id not in p.items)]}) for p in pools])
        except ExamError as exc:
            raise SystemExit(str(exc))
        for line in duplicates:
            click.echo(line, err=True)
        if duplicates:
            raise SystemExit(f"{len(duplicates)} exam item(s) near-identical to formative questions; rewrite them "
                             "and run 'iso20k check-banks' again.")
        note = " No exam item is near-identical to a formative question."
    if exams_dir is not None and Path(exams_dir).is_dir():
        note += _check_pools(Path(exams_dir))
    click.echo(f"All {len(catalog.banks)} banks are valid: {len(catalog.questions)} questions ({kinds}).{note}")


def _check_pools(exams_dir: Path) -> str:
    """check-banks' pool check: every blueprint can be filled pool_factor times over (SystemExit
    naming each area and difficulty short of items, and every bad item by file and id)."""
    from .grading.exam_model import ExamError
    from .grading.item_pool import distinct_forms_log10, load_pools, shortfalls

    try:
        pools = load_pools(exams_dir)
    except ExamError as exc:
        raise SystemExit(f"{exc}\nFix the exam or pool file named and run 'iso20k check-banks' again.")
    short = [line for p in pools for line in shortfalls(p)]
    for line in short:
        click.echo(line, err=True)
    if short:
        raise SystemExit(f"{len(short)} area/difficulty pair(s) cannot be filled; add the items named and run "
                         "'iso20k check-banks' again.")
    forms = [f"{p.exam.assignment}: {len(p.items)} items, about 10^{distinct_forms_log10(p):.0f} forms"
             for p in pools if p.exam.blueprint is not None]
    return (" Every blueprint can be filled its pool_factor times over (" + "; ".join(forms) + ").") if forms else ""


@main.command("build-course")
@click.option("--check-only", is_flag=True, help="Only report problems and out-of-date notebooks; write nothing.")
def build_course_cmd(check_only: bool) -> None:
    """Build the learner notebooks in course/ from content/, and check every module
    (required sections, quizzes, diagrams, English/Chinese parity)."""
    from .authoring import SourceError, build_course, check_course, load_sources
    from .banks import BankError, load_catalog

    settings = get_settings()
    try:
        catalog = load_catalog()
        sources = load_sources(settings.content_dir)
        problems = check_course(sources, catalog)
        changed = build_course(settings.content_dir, settings.course_dir, check_only=check_only)
    except (BankError, SourceError) as exc:
        raise SystemExit(str(exc))
    for problem in problems:
        click.echo(problem, err=True)
    verb = "out of date" if check_only else "written"
    for rel in changed:
        click.echo(f"{verb}: course/{rel}")
    if problems or (check_only and changed):
        raise SystemExit(f"{len(problems)} problem(s), {len(changed)} notebook(s) {verb}.")
    click.echo(f"Course is up to date: {len(sources.all())} notebooks from content/, no problems.")


@main.command("build-assessments")
@click.option("--check-only", is_flag=True, help="Only report out-of-date source notebooks; write nothing.")
def build_assessments_cmd(check_only: bool) -> None:
    """Write the nbgrader source notebooks in source/ from the definitions in exams/.
    Then run 'nbgrader generate_assignment ASSIGNMENT --force' to refresh release/."""
    from .grading.build import build_sources
    from .grading.exam_model import ExamError

    settings = get_settings()
    try:
        changed = build_sources(settings.exams_dir, settings.course_root / "source", settings,
                                check_only=check_only)
    except ExamError as exc:
        raise SystemExit(str(exc))
    for rel in changed:
        done = "written" if (settings.course_root / "source" / rel).exists() else "removed"
        click.echo(f"{'out of date' if check_only else done}: source/{rel}")
    if check_only and changed:
        raise SystemExit(f"{len(changed)} source notebook(s) out of date; run 'iso20k build-assessments'.")
    click.echo("Assessments are up to date.")


@main.command("import-roster")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--sheet", default=None, metavar="NAME", help="Workbook sheet to read (default: the only sheet with roster headings).")
@click.option("--role-map", type=click.Path(path_type=Path), default=None, metavar="FILE",
              help="YAML or CSV file mapping HR job titles or grades to roles (default: ISO20K_ROSTER_ROLE_MAP).")
@click.option("--default-role", default=None, metavar="ROLE",
              help="Role for people whose job title has no mapping (e.g. staff); otherwise each is a problem.")
@click.option("--department", "departments", multiple=True, metavar="NAME",
              help="The file holds only this department (repeatable): only its people missing from the file "
              "become inactive, everyone else is left as is.")
@click.option("--partial", is_flag=True, help="Only add and update the people in the file; nobody becomes inactive.")
@click.option("--dry-run", is_flag=True, help="Show what would change (added, updated, inactive, unchanged); write nothing.")
@click.option("--yes", "-y", is_flag=True,
              help="Do not ask before marking many people inactive (ISO20K_ROSTER_CONFIRM_INACTIVE_SHARE); for scripts.")
@click.option("--encoding", type=click.Choice(["utf-8", "gb18030", "gbk"], case_sensitive=False), default=None,
              help="Encoding of a CSV file (default UTF-8, with or without BOM); gbk is read as gb18030.")
@click.option("--show-all", is_flag=True, help="List every person in the summary, not only the first 20 of each group.")
def import_roster_cmd(path: Path, sheet: str | None, role_map: Path | None, default_role: str | None,
                      departments: tuple[str, ...], partial: bool, dry_run: bool, yes: bool,
                      encoding: str | None, show_all: bool) -> None:
    """Import or update the employee roster from an HR export (XLSX, or CSV in UTF-8).

    Title rows above the headings are skipped; HR headings (工号, 姓名, 部门, 职位, ...) are
    understood, job titles become roles through a mapping file.  Every row is checked first; if
    anything is wrong, every problem is listed with its line number and nothing is imported.
    Re-importing keeps everyone's progress; every import is recorded in the audit trail.
    See docs/roster.md."""
    from .audit import current_actor, import_roster_audited
    from .roster import ConfirmationNeeded, RosterError
    from .roster.importer import preview_store
    from .store import trail_writer

    limit = None if show_all else 20
    options = dict(sheet=sheet, role_map=role_map, default_role=default_role, departments=departments,
                   partial=partial, dry_run=dry_run, yes=yes, encoding=encoding)
    store = preview_store() if dry_run else trail_writer()  # the trail's anchor moves with the entry
    try:
        try:
            result, entry = import_roster_audited(path, store, current_actor(), **options)
        except ConfirmationNeeded as exc:
            click.echo(exc.result.text(limit))
            if not click.get_text_stream("stdin").isatty():
                raise SystemExit(str(exc)) from None
            n = len(exc.result.deactivated)
            if not click.confirm(f"Mark these {n} people inactive and import the roster?", default=False):
                raise SystemExit("Nothing was imported.") from None
            result, entry = import_roster_audited(path, store, current_actor(), **options,
                                                  confirmed=exc.result)
    except (RosterError, ConfirmationNeeded) as exc:
        raise SystemExit(str(exc)) from None
    click.echo(result.text(limit))
    if entry is not None:
        click.echo(f"Audit trail entry #{entry.seq}.")


@main.command("roster")
@click.option("--all", "include_inactive", is_flag=True, help="Include people no longer on the roster.")
def roster_cmd(include_inactive: bool) -> None:
    """List the employees in the roster with their tracks and due dates."""
    from .roster import roster
    from .store import ProgressStore

    people = roster(ProgressStore(), include_inactive=include_inactive)
    if not people:
        click.echo("The roster is empty. Import one with: iso20k import-roster employees.xlsx")
        return
    for p in people:
        tracks = ", ".join(f"{t} (due {d})" if d else t for t, d in p["tracks"].items())
        flag = "" if p["active"] else "  [inactive]"
        click.echo(f"{p['employee_id']}\t{p['name']}\t{p['department']}\t{p['role']}\t{tracks}{flag}")


def _course(course: Path | None):
    """The nbgrader course in ``--course``, else the one nbgrader finds in the current folder."""
    from .results import locate_course

    try:
        return locate_course(get_settings(), course)
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from None


COURSE_HELP = ("nbgrader course folder (default: ISO20K_COURSE_ROOT, else as nbgrader finds it: "
               "nbgrader_config.py in the current folder, CourseDirectory.root).")


@main.command("sync-roster")
@click.option("--course", type=click.Path(path_type=Path, file_okay=False), default=None, help=COURSE_HELP)
def sync_roster_cmd(course: Path | None) -> None:
    """Add or update every roster employee as a student in nbgrader's gradebook."""
    from .grading.students import sync_students
    from .store import ProgressStore

    settings = get_settings()
    if settings.trail_url:  # the hub's formgrader: the roster comes from the records service
        from .audit.trail_client import TrailWriteFailed, fetch_roster

        try:
            people = fetch_roster(settings)
        except TrailWriteFailed as exc:
            raise click.ClickException(str(exc)) from None
        added, updated = sync_students(people, _course(course).db_url)
    else:
        added, updated = sync_students(ProgressStore(), _course(course).db_url)
    click.echo(f"nbgrader students: {added} added, {updated} updated.")


@main.command("autograde")
@click.argument("assignment")
@click.option("--jobs", "-j", type=int, default=None, help="Submissions graded at once (default: one per CPU core).")
@click.option("--course", type=click.Path(path_type=Path, file_okay=False), default=None, help=COURSE_HELP)
@click.option("--time-limit", type=int, default=None, help="Seconds allowed per submission (ISO20K_GRADING_TIME_LIMIT_S).")
@click.option("--memory-limit", type=int, default=None, help="MiB allowed per submission (ISO20K_GRADING_MEMORY_LIMIT_MB).")
@click.option("--without-isolation", is_flag=True, default=False,
              help="For an assessment that needs learners' code: run it without the bubblewrap sandbox, with "
                   "your rights (recorded in the report).  Assessments answered with data never run learners' code.")
def autograde_cmd(assignment: str, jobs: int | None, course: Path | None, time_limit: int | None,
                  memory_limit: int | None, without_isolation: bool) -> None:
    """Autograde every submission of ASSIGNMENT into nbgrader's gradebook, with a report of failed and
    tampered submissions.  Answers are read as data and judged by the course's own checks (no
    learner code runs); an assessment that needs learners' code runs it isolated and limited.
    Grades that change are recorded in the audit trail."""
    from .audit import current_actor
    from .audit.autograde import autograde_certified
    from .audit.trail_client import TrailWriteFailed
    from .grading.sandbox import SandboxUnavailable
    from .store import trail_writer

    settings = get_settings()
    try:
        course_dir = _course(course)
        store = None if settings.trail_url else trail_writer(settings)  # on the hub: the trail writer records
        done = autograde_certified(settings, course_dir.root, assignment, store, current_actor(settings),
                                   gradebook=course_dir.db_url,
                                   jobs=jobs or settings.grading_jobs,
                                   time_limit=time_limit or settings.grading_time_limit_s,
                                   memory_mb=memory_limit or settings.grading_memory_limit_mb,
                                   isolation=not without_isolation)
    except (SandboxUnavailable, FileNotFoundError, TrailWriteFailed) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(done.summary.text())
    click.echo(f"Report: {done.summary.report_path}")
    click.echo(f"Audit trail: {len(done.entries)} submission(s) with changed grades recorded.")
    for cert in done.certificates:
        click.echo(f"Certificate issued: {cert['code']}\t{cert['employee_id']}\t{cert['track']}\t"
                   f"valid until {cert['valid_until']}")
    click.echo(f"Certificates: {len(done.certificates)} issued for the passes these grades complete.")
    if done.certificate_problem:
        raise click.ClickException(f"the grades are saved, but the certificates they complete were not issued: "
                                   f"{done.certificate_problem}. Run 'iso20k certificates issue' once that is fixed.")


@main.command("quarantine")
@click.option("--exchange", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="nbgrader exchange folder (default: the ISO20K_EXCHANGE_DIR setting, else <course root>/exchange).")
def quarantine_cmd(exchange: Path | None) -> None:
    """Hand-ins that 'nbgrader collect' refused (made by someone other than the student they name,
    or holding links) and quarantined, oldest first: whose name they used, who made them, why."""
    from .grading.config import COURSE_ID
    from .grading.exchange import quarantine_folder, read_quarantine

    settings = get_settings()
    root = exchange or settings.exchange_dir or Path(settings.course_root) / "exchange"
    try:
        records = read_quarantine(root, COURSE_ID)
    except PermissionError as exc:
        raise click.ClickException(f"{exc}: run this as the grader account (formgrader's terminal)") from None
    folder = quarantine_folder(root, COURSE_ID)
    if not records:
        click.echo(f"No quarantined hand-ins in {folder}.")
        return
    for r in records:
        click.echo(f"{r.get('quarantined_at', '?')}  {r.get('assignment', '?')}  named for {r.get('claimed_student', '?')}, "
                   f"made by {r.get('owner', '?')}: {r.get('reason', '?')}  [{r.get('quarantined_as', r.get('hand_in'))}; "
                   f"audit trail: {r.get('audit_trail', '?')}]")
    click.echo(f"{len(records)} quarantined hand-in(s) in {folder}.")


@main.command("item-analysis")
@click.argument("assignment")
@click.option("--course", type=click.Path(path_type=Path, file_okay=False), default=None, help=COURSE_HELP)
@click.option("--csv", "csv_path", type=click.Path(path_type=Path), default=None, help="Also write the table to this CSV file.")
def item_analysis_cmd(assignment: str, course: Path | None, csv_path: Path | None) -> None:
    """Facility and discrimination of every auto-graded item of ASSIGNMENT, to find bad questions."""
    from .grading.item_analysis import analyse_forms, flagged, write_csv

    found = _course(course)
    stats = analyse_forms(found.db_url, assignment, found.root)
    if not stats:
        raise SystemExit(f"No graded items for '{assignment}'. Run 'iso20k autograde {assignment}' first.")
    review = dict((s.item, why) for s, why in flagged(stats, get_settings()))
    click.echo(f"{'item':16} {'facility':>8} {'discrim.':>8} {'cand.':>5}  verdict")
    for s in stats:
        d = "-" if s.discrimination is None else f"{s.discrimination:.2f}"
        flag = f"  REVIEW: {review[s.item]}" if s.item in review else ""
        click.echo(f"{s.item:16} {s.facility:8.2f} {d:>8} {s.candidates:5d}  {s.verdict}{flag}")
    click.echo(f"{len(review)} item(s) flagged for review (bounds: ISO20K_ITEM_FACILITY_MIN/MAX, "
               "ISO20K_ITEM_DISCRIMINATION_MIN).")
    if csv_path:
        write_csv(stats, csv_path)
        click.echo(f"Written: {csv_path}")


@main.command("demo")
@click.option("--employees", type=int, default=300, show_default=True, help="How many made-up employees.")
@click.option("--departments", type=int, default=8, show_default=True, help="How many departments.")
@click.option("--if-empty", is_flag=True, help="Do nothing if the progress store already has a roster.")
@click.option("--force", is_flag=True, help="Add the demo company even next to a real roster.")
@click.option("--remove", is_flag=True, help="Take the demo company out again (real people are kept).")
def demo_cmd(employees: int, departments: int, if_empty: bool, force: bool, remove: bool) -> None:
    """Fill the progress store and the gradebook with a made-up company (progress, submissions,
    grades; a few submissions really autograded), to try the dashboard and formgrader."""
    from .demo import DemoRefused, build_demo, remove_demo
    from .roster import roster
    from .store import ProgressStore

    if remove:
        click.echo(f"Demo company removed: {remove_demo()} made-up employees with their progress and grades.")
        return
    if if_empty and roster(ProgressStore()):
        click.echo("The roster is not empty; the demo company was not built.")
        settings = get_settings()
        if settings.one_account_exchange:  # one machine: what the learners fetch is in the exchange
            from .demo.build import real_people
            from .grading.local_exchange import release_assessments

            if not real_people(ProgressStore()):
                for assignment in release_assessments(settings):
                    click.echo(f"Released {assignment} into nbgrader's exchange.")
        return
    try:
        summary = build_demo(employees=employees, departments=departments, force=force)
    except DemoRefused as exc:
        raise SystemExit(str(exc))
    click.echo(str(summary))
    click.echo("See it with: iso20k dashboard")


@main.command("dashboard")
@click.option("--port", type=int, default=None, help="Port (default: ISO20K_DASHBOARD_PORT).")
@click.option("--ip", default=None, help="Address to listen on (default: ISO20K_DASHBOARD_IP, 127.0.0.1).")
def dashboard_cmd(port: int | None, ip: str | None) -> None:
    """Serve the read-only training-completion dashboard with Voila."""
    from .dashboard import dashboard_server
    from .dashboard.serve import LOOPBACK, DashboardSetupError, write_private

    settings = get_settings()
    try:
        server = dashboard_server(settings, port=port, ip=ip)
    except (DashboardSetupError, PermissionError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Training dashboard (read-only): {server.url}")
    if server.token:
        if settings.dashboard_token:
            where = "the token in ISO20K_DASHBOARD_TOKEN"
        else:
            token_file = server.config_file.with_name("token")
            write_private(token_file, server.token + "\n")
            where = f"the token in {token_file} (readable only by you)"
        click.echo(f"Log in with {where}; share it only with the people who should see the figures.")
    elif (ip or settings.dashboard_ip) in LOOPBACK:
        click.echo("No login: single-user mode on this computer only. Behind JupyterHub each person "
                   "logs in and sees what the roster allows.")
    os.chdir(settings.dashboard_dir)
    os.execvpe(server.argv[0], server.argv, server.env)


def _as_of(value: str | None):
    from datetime import date

    if not value:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date; write it as YYYY-MM-DD.") from None


_AS_OF = click.option("--as-of", "as_of", default=None, help="Day to report on, YYYY-MM-DD (default: today).")


@main.command("store-roles")
def store_roles_cmd() -> None:
    """PostgreSQL: create the records and dashboard services' roles (from ISO20K_HUB_RECORDS_DB_URL
    and ISO20K_HUB_DASHBOARD_DB_URL, passwords included) and grant each only what it needs: the
    records role adds rows and never changes or deletes evidence, the dashboard role reads.  Run as
    the tables' owner (ISO20K_DB_URL); creating roles uses ISO20K_DB_ADMIN_URL when set.  Nothing
    secret is printed."""
    from .store.roles import set_up_service_roles

    settings = get_settings()
    if not settings.db_url or not settings.db_url.startswith("postgresql"):
        raise click.ClickException("ISO20K_DB_URL is not a PostgreSQL database: on SQLite the store is protected "
                                   "by the data folder's owner (see docs/deployment.md)")
    if not (settings.hub_records_db_url or settings.hub_dashboard_db_url):
        raise click.ClickException("Set ISO20K_HUB_RECORDS_DB_URL and ISO20K_HUB_DASHBOARD_DB_URL (each with a role "
                                   "of its own and its password) in the hub's environment file first")
    try:
        created = set_up_service_roles(settings.db_url, settings.hub_records_db_url, settings.hub_dashboard_db_url,
                                       settings.db_admin_url)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    for role, new in created.items():
        click.echo(f"Role {role}: {'created' if new else 'password set'}, rights granted.")


@main.group("audit-trail")
def audit_trail_group() -> None:
    """The tamper-evident audit trail of roster imports, grades and certificates."""


@audit_trail_group.command("verify")
def audit_trail_verify() -> None:
    """Check every link of the hash chain, every answer row and module completion (each learner's
    own chain, the answers behind each completion, the anchors), and that the gradebook holds
    exactly the grades the trail recorded; name where it breaks.  Exit code 1 when it is not intact."""
    from .audit import anchor_path, verify_trail
    from .results import locate_course
    from .store import ProgressStore

    settings = get_settings()
    report = verify_trail(ProgressStore(), locate_course(settings).db_url, anchor_path(settings))
    click.echo(report.text())
    if not report.ok:
        raise SystemExit(1)


@audit_trail_group.command("show")
@click.option("--last", type=int, default=20, show_default=True, help="How many of the newest entries.")
@click.option("--entry", "seq", type=int, default=None,
              help="Only entry N, with its full hash (to compare with a head an auditor noted).")
def audit_trail_show(last: int, seq: int | None) -> None:
    """List the newest entries of the trail."""
    from .audit import entries
    from .store import ProgressStore

    rows = list(entries(ProgressStore()))
    if seq is not None:
        found = [e for e in rows if e.seq == seq]
        if not found:
            raise click.ClickException(f"The trail has no entry #{seq} (it ends at #{rows[-1].seq if rows else 0}).")
        e = found[0]
        click.echo(f"#{e.seq}\t{e.recorded_at}\t{e.actor}\t{e.action}\t{e.subject}\t{e.hash}")
        return
    for e in rows[-last:] if last > 0 else rows:
        click.echo(f"#{e.seq}\t{e.recorded_at}\t{e.actor}\t{e.action}\t{e.subject}\t{e.hash[:16]}")
    if not rows:
        click.echo("The audit trail is empty.")
    else:
        click.echo(f"Head: #{rows[-1].seq} {rows[-1].hash}")


@audit_trail_group.command("baseline")
@click.option("--reason", required=True, help="Why these grades are taken as they are (goes into the trail).")
def audit_trail_baseline(reason: str) -> None:
    """Record every gradebook grade the trail does not know yet (when the trail starts on an
    existing gradebook)."""
    _record_gradebook("grade-baseline", reason)


@audit_trail_group.command("accept")
@click.option("--reason", required=True, help="Why the differences found by verify are accepted (goes into the trail).")
def audit_trail_accept(reason: str) -> None:
    """Record the gradebook's current grades where they differ from the trail, with the reason:
    the difference stays visible in the trail as an accepted change."""
    _record_gradebook("grade-accepted", reason)


def _record_gradebook(action: str, reason: str) -> None:
    from .audit import current_actor, record_from_trail_state
    from .results import locate_course
    from .store import trail_writer

    settings = get_settings()
    written = record_from_trail_state(trail_writer(settings), locate_course(settings).db_url,
                                      current_actor(settings), action, reason)  # the store moves the anchor
    click.echo(f"{len(written)} submission(s) recorded as {action}.")


@main.group("certificates")
def certificates_group() -> None:
    """Issue, list, export and revoke training certificates."""


@certificates_group.command("issue")
@_AS_OF
def certificates_issue(as_of: str | None) -> None:
    """Issue a certificate for every track passed (lessons complete and assessment at its pass
    mark) that has none yet; refresher passes get a new one.  Grading issues them already (autograde,
    a grade in formgrader): this catches up on any that could not be issued then."""
    from .audit import current_actor
    from .certificates.workflow import issue_for
    from .store import trail_writer

    settings = get_settings()
    store = trail_writer(settings)  # each issue moves the trail's anchor
    issued = issue_for(store, settings, current_actor(settings), as_of=_as_of(as_of) if as_of else None)
    for cert in issued:
        click.echo(f"{cert.code}\t{cert.employee_id}\t{cert.employee_name}\t{cert.track}\tvalid until {cert.valid_until}")
    click.echo(f"{len(issued)} certificate(s) issued.")


@certificates_group.command("list")
@click.option("--employee", default=None, help="Only this employee id.")
@_AS_OF
def certificates_list(employee: str | None, as_of: str | None) -> None:
    """List certificates with their state (valid, expiring, expired, revoked)."""
    from .certificates import certificates
    from .store import ProgressStore

    settings = get_settings()
    day = _as_of(as_of)
    for c in certificates(ProgressStore(), employee):
        click.echo(f"{c.code}\t{c.employee_id}\t{c.employee_name}\t{c.track}\tpassed {c.passed_on}\t"
                   f"valid until {c.valid_until}\t{c.state(day, settings.certificate_warning_days)}")


@certificates_group.command("export")
@click.argument("code")
@click.option("--to", "target", type=click.Path(path_type=Path), required=True, help="File to write the PDF to.")
def certificates_export(code: str, target: Path) -> None:
    """Write a certificate's PDF exactly as issued."""
    from .certificates import CodeError, normalise, pdf_bytes
    from .store import ProgressStore

    try:
        code = normalise(code)
    except CodeError as exc:
        raise SystemExit(str(exc))
    data = pdf_bytes(ProgressStore(), code)
    if data is None:
        raise SystemExit(f"No certificate has the code {code}.")
    target.write_bytes(data)
    click.echo(f"Written: {target}")


@certificates_group.command("revoke")
@click.argument("code")
@click.option("--reason", required=True, help="Why (goes into the audit trail and onto the verification page).")
def certificates_revoke(code: str, reason: str) -> None:
    """Revoke a certificate: it stays on record, and verification reports it revoked."""
    from .audit import current_actor
    from .certificates import CertificateError, CodeError, revoke
    from .store import trail_writer

    settings = get_settings()
    try:
        cert, entry = revoke(trail_writer(settings), code, reason, current_actor(settings))  # moves the anchor
    except (CertificateError, CodeError) as exc:
        raise SystemExit(str(exc))
    click.echo(f"Certificate {cert.code} of {cert.employee_name} ({cert.track}) revoked. Audit trail entry #{entry.seq}.")


@main.command("verify")
@click.argument("code", required=False)
@click.option("--file", "pdf", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Check a certificate PDF instead: is it byte for byte one issued here?")
@_AS_OF
def verify_cmd(code: str | None, pdf: Path | None, as_of: str | None) -> None:
    """Say whether a certificate code is genuine, for whom, and whether it is valid, expired or
    revoked.  Exit code 1 when it is not genuine."""
    from .certificates import verify_code, verify_file
    from .store import ProgressStore

    settings = get_settings()
    if not code and not pdf:
        raise click.UsageError("Give a certificate code, or --file with a certificate PDF.")
    store = ProgressStore()
    day = _as_of(as_of)
    if pdf:
        result = verify_file(store, pdf.read_bytes(), day, settings.certificate_warning_days)
    else:
        result = verify_code(store, code, day, settings.certificate_warning_days)
    click.echo(result.text())
    if not result.genuine:
        raise SystemExit(1)


@main.command("verify-server")
@click.option("--port", type=int, default=None, help="Port (default: ISO20K_VERIFY_PORT).")
@click.option("--ip", default=None, help="Address (default: ISO20K_VERIFY_IP).")
def verify_server_cmd(port: int | None, ip: str | None) -> None:
    """Serve the certificate verification page (read-only) at /verify/<code>."""
    from .certificates.web import serve
    from .store import ProgressStore

    settings = get_settings()
    ip, port = ip or settings.verify_ip, port or settings.verify_port
    click.echo(f"Certificate verification page: http://{ip}:{port}/verify/")
    serve(ProgressStore(read_only=True), settings.certificate_warning_days, ip, port)


@main.command("competence")
@click.option("--department", default=None, help="Only this department.")
@click.option("--rules", is_flag=True, help="Show which tracks and assessments each role requires, and stop.")
@_AS_OF
def competence_cmd(department: str | None, rules: bool, as_of: str | None) -> None:
    """The competence matrix: each employee's required tracks, met, due, overdue or expired."""
    from .certificates import certificates
    from .competence import RequirementsError, competence_matrix, counts, describe, load_requirements
    from .competence.records import load_records
    from .store import ProgressStore

    settings = get_settings()
    try:
        requirements = load_requirements(settings)
    except RequirementsError as exc:
        raise SystemExit(str(exc))
    if rules:
        source = settings.role_requirements_file or "built-in rules (iso20k/roster/roles.py)"
        click.echo(f"Role requirements from {source}:")
        for role, tracks, assessments in describe(requirements):
            click.echo(f"  {role:28} {tracks:50} {assessments}")
        return
    rows = competence_matrix(load_records(settings), certificates(ProgressStore()), requirements, _as_of(as_of),
                             settings.certificate_warning_days, department)
    for r in rows:
        click.echo(f"{r.employee_id}\t{r.name}\t{r.department}\t{r.role}\t{r.track}\t{r.status}\t{r.detail}")
    click.echo(", ".join(f"{n} {s}" for s, n in counts(rows).items()))


@main.command("evidence")
@click.option("--department", default=None, help="Only this department (default: the whole company).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("."),
              show_default=True, help="Folder to write the evidence pack folder into.")
@_AS_OF
def evidence_cmd(department: str | None, out_dir: Path, as_of: str | None) -> None:
    """Write the evidence pack for an auditor: bilingual PDF summary, tables as CSV and XLSX,
    the certificates, the xAPI export and the audit trail's verification result."""
    from .competence import RequirementsError
    from .evidence import EvidenceError, build_evidence

    try:
        pack = build_evidence(get_settings(), _as_of(as_of), out_dir, department)
    except (EvidenceError, RequirementsError) as exc:
        raise SystemExit(str(exc))
    click.echo(f"Evidence pack written: {pack.folder} ({len(pack.files)} files)")
    click.echo(", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in pack.figures.items()))
    if not pack.trail_ok:
        click.echo("Warning: the audit trail is NOT intact; see audit-trail-verification.txt in the pack.", err=True)


@main.command("xapi")
@click.option("--out", "out_file", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write the statements to this JSON file.")
@click.option("--department", default=None, help="Only this department.")
@click.option("--send", is_flag=True, help="Also post them to the Learning Record Store in ISO20K_LRS_URL.")
@_AS_OF
def xapi_cmd(out_file: Path | None, department: str | None, send: bool, as_of: str | None) -> None:
    """Export the learning records as validated xAPI 1.0.3 statements; optionally send them to an LRS."""
    import json

    from .banks.loader import keyed_catalog_if_readable
    from .competence.records import load_records
    from .store import ProgressStore
    from .store.company import module_completions
    from .xapi import LrsError, build_statements
    from .xapi import send as send_statements

    settings = get_settings()
    if not out_file and not send:
        raise click.UsageError("Give --out FILE, --send, or both.")
    store = ProgressStore()
    completions = module_completions(store)
    statements = build_statements(load_records(settings), store.answers(), completions, keyed_catalog_if_readable(settings),
                                  settings.company_home_page, _as_of(as_of), department)
    if out_file:
        out_file.write_text(json.dumps(statements, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        click.echo(f"{len(statements)} validated xAPI statements written to {out_file}")
    if send:
        try:
            sent = send_statements(statements, settings)
        except LrsError as exc:
            raise SystemExit(str(exc))
        click.echo(f"{sent} statements accepted by the Learning Record Store.")


@main.command("settings")
def settings_cmd() -> None:
    """Show every setting: environment variable, current value, default and help (passwords
    and tokens masked)."""
    for env, value, default, help_text in get_settings().describe():
        click.echo(f"{env} = {value}")
        click.echo(f"    {help_text}")
        click.echo(f"    default: {default}")


@main.command("whoami")
def whoami_cmd() -> None:
    """Show the learner id answers are recorded under, and where."""
    from .identity import resolve_learner_id

    settings = get_settings()
    click.echo(f"learner id: {resolve_learner_id(settings)}")
    click.echo(f"progress store: {settings.shown_db_url}")


@main.command("progress")
@click.argument("learner_id", required=False)
def progress_cmd(learner_id: str | None) -> None:
    """Show a learner's progress per module (default: the current learner)."""
    from .banks import load_catalog
    from .identity import resolve_learner_id
    from .store import ProgressStore

    learner = learner_id or resolve_learner_id()
    store = ProgressStore()
    catalog = load_catalog()
    done = store.completed_modules(learner)
    click.echo(f"Progress of {learner}:")
    for key, bank in sorted(catalog.banks.items()):
        correct = store.correct_question_ids(learner, bank.track, bank.module)
        mark = "done" if key in done else f"{len(correct)}/{len(bank.questions)}"
        click.echo(f"  {key:45} {mark}")


@main.command("lab")
@click.option("--learner", default=None, help="Learner id to record answers under "
              "(default: ISO20K_LEARNER_ID, else 'demo-learner').")
@click.option("--trainer", is_flag=True, help="The trainer's JupyterLab instead: on the course folder, with "
              "nbgrader's formgrader, on ISO20K_TRAINER_LAB_PORT (one machine).")
@click.option("--no-browser", is_flag=True, help="Do not open a web browser.")
def lab_cmd(learner: str | None, trainer: bool, no_browser: bool) -> None:
    """Start JupyterLab: the learner's, in their own folder (a delivered copy of the course),
    opened at the start page; or with --trainer the trainer's, with formgrader."""
    from .grading.environment import nbgrader_env
    from .lab_settings import write_learner_lab_config
    from .launch import (as_root_checked, deliver_learner_folder, lab_command, learner_lab_config_dir,
                         learner_nbgrader_config, learner_start_url, learner_url, trainer_lab_command,
                         trainer_token, trainer_url, workspaces_dir)
    from .private_paths import require_trusted

    settings = get_settings()
    if trainer and learner:
        raise click.UsageError("--trainer and --learner do not go together: the trainer's lab records no answers.")
    if os.geteuid() == 0 and not trainer:  # root reads no configuration another account could have written
        try:
            require_trusted(learner_lab_config_dir(settings), "the learner JupyterLab configuration "
                            "(ISO20K_LAB_CONFIG_DIR) of a lab run as root")
        except PermissionError as exc:
            raise click.ClickException(str(exc)) from exc
    if settings.one_account_exchange:  # one machine: the Assignment List and formgrader need the exchange
        from .grading.local_exchange import lay_out_local_exchange

        try:
            lay_out_local_exchange(settings)
        except PermissionError as exc:
            raise click.ClickException(str(exc)) from exc
    if trainer:
        env = nbgrader_env()
        if not env.get("JUPYTER_TOKEN"):
            token, token_file = trainer_token(settings)
            env["JUPYTER_TOKEN"] = token  # in the environment, never on the command line
            login = f"log in with the token in {token_file} (readable only by you)"
        else:
            login = "log in with the token in JUPYTER_TOKEN"
        argv = trainer_lab_command(settings, open_browser=not no_browser)
        root = Path(settings.course_root).resolve()
        who = "JupyterLab for the trainer"
        click.echo(f"Trainer: formgrader (Nbgrader > Formgrader) at {trainer_url(settings)}; {login}.")
    else:
        learner_id = learner or settings.learner_id or "demo-learner"
        try:
            root, delivery = deliver_learner_folder(settings, learner_id)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        # nbgrader's extensions in the lab run 'alembic', which must be on PATH even if the
        # virtual environment was never activated (scripts/start.sh does not activate it).
        env = nbgrader_env({env_name("learner_id"): learner_id})
        # News notifications off, nbgrader's authoring and grading interface hidden.
        launch = write_learner_lab_config(learner_lab_config_dir(settings))
        env = launch.environ(env)
        if settings.one_account_exchange:  # hand-ins named for this learner, in the course's exchange
            folder = learner_nbgrader_config(settings, learner_id)
            env["JUPYTER_CONFIG_PATH"] = os.pathsep.join([str(folder), env["JUPYTER_CONFIG_PATH"]])
        argv = lab_command(settings, open_browser=not no_browser, root=root, default_url=learner_start_url(settings),
                           extra_args=[*launch.args, f"--LabApp.workspaces_dir={workspaces_dir(settings, learner_id)}"])
        who = f"JupyterLab for learner '{learner_id}'"
        click.echo(f"Learner {learner_id}: JupyterLab at {learner_url(settings)}, in the learner's own folder {root} "
                   f"(course {delivery.summary()}; progress saved in {settings.shown_db_url}).")
    try:
        env = as_root_checked(env, root, settings.data_dir, settings.runtime_dir, "JupyterLab")
    except PermissionError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Starting {who} ...")
    sys.stdout.flush()
    os.chdir(root)
    os.execvpe(argv[0], argv, env)



@main.command("hub")
def hub_cmd() -> None:
    """Start the company hub (JupyterHub): every employee signs in and learns on their own server.

    Needs root with the default spawner. Settings: ISO20K_HUB_* (see 'iso20k settings') and
    docs/deployment.md."""
    from .hub import HubConfigError, run_hub

    try:
        run_hub(get_settings())
    except (HubConfigError, PermissionError) as exc:
        raise SystemExit(f"iso20k hub: {exc}")


@main.command("remind")
@click.option("--dry-run", is_flag=True, help="Print who would get which message; send nothing, write nothing.")
@click.option("--today", "today", default=None, metavar="YYYY-MM-DD",
              help="Run as on this day (default: today in ISO20K_TIME_ZONE).")
def remind_cmd(dry_run: bool, today: str | None) -> None:
    """Send the day's reminders, escalations to managers and the weekly digest (docs/reminders.md).

    Each message goes at most once per person, rule and due step, also when a run stopped half-way
    is run again; every one sent is an entry in the audit trail."""
    from datetime import datetime

    from .reminders import MailSetupError, run_reminders

    settings = get_settings()
    day = _as_of(today) if today else datetime.now(settings.zone()).date()
    try:
        report = run_reminders(settings, day, dry_run=dry_run)
    except MailSetupError as exc:
        raise SystemExit(f"iso20k remind: {exc}")
    for line in report.lines():
        click.echo(line)
    if not report.ok:
        raise SystemExit(1)


@main.command("hub-sync")
@click.option("--dry-run", is_flag=True, help="Only say what would change on the hub.")
@click.option("--yes", is_flag=True, help="Remove access even when many people would lose it at once.")
def hub_sync_cmd(dry_run: bool, yes: bool) -> None:
    """Bring the hub's users and groups in line with the roster (run after 'iso20k import-roster').

    Active employees get an account, people no longer active lose it (their records stay)."""
    from .hub import HubApiError, TooManyRemovals, sync_hub_accounts
    from .roster import roster
    from .store import ProgressStore

    people = roster(ProgressStore(), include_inactive=True)
    try:
        plan = sync_hub_accounts(get_settings(), people, dry_run=dry_run, confirmed=yes)
    except (HubApiError, TooManyRemovals, FileNotFoundError, PermissionError) as exc:
        raise SystemExit(f"iso20k hub-sync: {exc}")
    click.echo(("Would change: " if dry_run else "Hub accounts: ") + plan.summary() + ".")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
