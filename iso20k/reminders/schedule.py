"""The daily schedule: run the reminders every day at ``ISO20K_REMIND_TIME`` in the configured time
zone.  The hub starts :func:`serve` as its ``reminders`` service (iso20k/hub/reminders_service.py);
on one server without the hub a systemd timer runs ``iso20k remind`` instead (docs/reminders.md).
The clock and the sleep are parameters, so a test runs a day in a moment."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone

from ..settings import Settings


def next_run(now: datetime, at: str, zone) -> datetime:
    """The first moment at or after ``now`` that is ``at`` (HH:MM) in ``zone``, as an aware time."""
    local = now.astimezone(zone)
    hour, minute = (int(x) for x in at.split(":"))
    due = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if due < local:
        day = local.date() + timedelta(days=1)
        due = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
    return due


def serve(settings: Settings, run: Callable[[date], list[str]], *,
          clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
          sleep: Callable[[float], None] = time.sleep, log: Callable[[str], None] = print,
          runs: int | None = None) -> None:
    """Every day at the set time, ``run(that day)`` and log its lines; forever, or ``runs`` times."""
    zone = settings.zone()
    done = 0
    while runs is None or done < runs:
        due = next_run(clock(), settings.remind_time, zone)
        log(f"reminders: next run at {due.isoformat()}")
        while (left := (due - clock()).total_seconds()) > 0:
            sleep(min(left, 300.0))
        day = due.astimezone(zone).date()
        try:
            for line in run(day):
                log(f"reminders: {line}")
        except Exception as exc:  # noqa: BLE001 - the service keeps its schedule; the log says why
            log(f"reminders: the run for {day} failed: {type(exc).__name__}: {exc}")
        done += 1
        # never twice for one day, however fast the clock says the run was
        while next_run(clock(), settings.remind_time, zone) <= due:
            sleep(1.0)
