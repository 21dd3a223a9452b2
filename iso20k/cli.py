"""The ``iso20k`` command.  Each command is a thin wrapper over a plain function."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from .settings import REPO_ROOT, get_settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="iso20k")
def main() -> None:
    """ISO/IEC 20000 training course: quizzes, roster, progress, grading and dashboard."""


@main.command("check-banks")
@click.option("--banks-dir", type=click.Path(path_type=Path), default=None,
              help="Folder of question banks (default: the ISO20K_BANKS_DIR setting).")
def check_banks(banks_dir: Path | None) -> None:
    """Check every question bank and report each problem with file, question and field."""
    from .banks import BankError, load_catalog

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
    click.echo(f"All {len(catalog.banks)} banks are valid: {len(catalog.questions)} questions ({kinds}).")


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
        changed = build_sources(settings.exams_dir, REPO_ROOT / "source", settings,
                                check_only=check_only)
    except ExamError as exc:
        raise SystemExit(str(exc))
    for rel in changed:
        click.echo(f"{'out of date' if check_only else 'written'}: source/{rel}")
    if check_only and changed:
        raise SystemExit(f"{len(changed)} source notebook(s) out of date; run 'iso20k build-assessments'.")
    click.echo("Assessments are up to date.")


@main.command("import-roster")
@click.argument("path", type=click.Path(path_type=Path))
def import_roster_cmd(path: Path) -> None:
    """Import or update the employee roster from a CSV (UTF-8) or XLSX file.

    Every row is checked first; if anything is wrong, every problem is listed with its line
    number and nothing is imported.  Re-importing keeps everyone's progress."""
    from .roster import RosterError, import_roster
    from .store import ProgressStore

    try:
        summary = import_roster(path, ProgressStore())
    except RosterError as exc:
        raise SystemExit(str(exc))
    click.echo(f"Roster imported from {path}: {summary}.")


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
    from .grading.course_folder import load_course

    try:
        return load_course(course)
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from None


COURSE_HELP = ("nbgrader course folder (default: as nbgrader finds it: nbgrader_config.py in the current "
               "folder, CourseDirectory.root).")


@main.command("sync-roster")
@click.option("--course", type=click.Path(path_type=Path, file_okay=False), default=None, help=COURSE_HELP)
def sync_roster_cmd(course: Path | None) -> None:
    """Add or update every roster employee as a student in nbgrader's gradebook."""
    from .grading.students import sync_students
    from .store import ProgressStore

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
    learner code runs); an assessment that needs learners' code runs it isolated and limited."""
    from .grading.parallel import autograde
    from .grading.sandbox import SandboxUnavailable

    settings = get_settings()
    try:
        summary = autograde(_course(course).root, assignment, jobs=jobs or settings.grading_jobs,
                            time_limit=time_limit or settings.grading_time_limit_s,
                            memory_mb=memory_limit or settings.grading_memory_limit_mb,
                            isolation=not without_isolation)
    except (SandboxUnavailable, FileNotFoundError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(summary.text())
    click.echo(f"Report: {summary.report_path}")


@main.command("item-analysis")
@click.argument("assignment")
@click.option("--course", type=click.Path(path_type=Path, file_okay=False), default=None, help=COURSE_HELP)
@click.option("--csv", "csv_path", type=click.Path(path_type=Path), default=None, help="Also write the table to this CSV file.")
def item_analysis_cmd(assignment: str, course: Path | None, csv_path: Path | None) -> None:
    """Facility and discrimination of every auto-graded item of ASSIGNMENT, to find bad questions."""
    from .grading.item_analysis import analyse, write_csv

    stats = analyse(_course(course).db_url, assignment)
    if not stats:
        raise SystemExit(f"No graded items for '{assignment}'. Run 'iso20k autograde {assignment}' first.")
    click.echo(f"{'item':16} {'facility':>8} {'discrim.':>8}  verdict   ({stats[0].candidates} candidates)")
    for s in stats:
        d = "-" if s.discrimination is None else f"{s.discrimination:.2f}"
        click.echo(f"{s.item:16} {s.facility:8.2f} {d:>8}  {s.verdict}")
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
    from .dashboard.serve import LOOPBACK

    server = dashboard_server(get_settings(), port=port, ip=ip)
    click.echo(f"Training dashboard (read-only): {server.url}")
    if server.token and (ip or get_settings().dashboard_ip) not in LOOPBACK:
        click.echo("Share this address with the token only with the people who should see the figures.")
    os.chdir(REPO_ROOT / "dashboard")
    os.execvpe(server.argv[0], server.argv, server.env)


@main.command("settings")
def settings_cmd() -> None:
    """Show every setting: environment variable, current value, default and help."""
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
    click.echo(f"progress store: {settings.effective_db_url}")


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
@click.option("--no-browser", is_flag=True, help="Do not open a web browser.")
def lab_cmd(learner: str | None, no_browser: bool) -> None:
    """Start JupyterLab on the course, opened at the start page."""
    from .launch import lab_command

    from .grading.environment import nbgrader_env

    settings = get_settings()
    # nbgrader's extensions in the lab run 'alembic', which must be on PATH even if the
    # virtual environment was never activated (scripts/start.sh does not activate it).
    env = nbgrader_env({"ISO20K_LEARNER_ID": learner or settings.learner_id or "demo-learner"})
    argv = lab_command(settings, open_browser=not no_browser)
    click.echo(f"Starting JupyterLab for learner '{env['ISO20K_LEARNER_ID']}' "
               f"(progress saved in {settings.effective_db_url}) ...")
    os.chdir(REPO_ROOT)
    os.execvpe(argv[0], argv, env)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
