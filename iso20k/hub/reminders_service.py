"""The daily reminders as a hub service: started with the hub, run as the records account (the
trail writer, which owns the data folder and the trail's anchor), it runs ``iso20k remind`` for the
day at ``ISO20K_REMIND_TIME`` in ``ISO20K_TIME_ZONE`` every day (iso20k/reminders/schedule.py) and
logs what it sent to the hub's log.  Its mail password comes from ``ISO20K_SMTP_PASSWORD_FILE``,
which the records account must own (mode 0600).  Started by the hub::

    python -m iso20k.hub.reminders_service
"""

from __future__ import annotations

import sys

from ..reminders import run_reminders, serve
from ..settings import read_settings
from .config import enter_service_account

#: The trail names this service as the sender of what it sends.
ACTOR = "reminders service"


def main() -> None:
    enter_service_account()
    settings = read_settings()

    def run(day):
        return run_reminders(read_settings(), day, actor=ACTOR).lines()

    serve(settings, run, log=lambda line: print(line, file=sys.stderr, flush=True))


if __name__ == "__main__":
    main()
