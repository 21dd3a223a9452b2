"""Reminders, escalations and the training office's weekly digest (docs/reminders.md)."""

from .messages import compose
from .rules import Item, Plan, Reminder, World, plan
from .run import RunReport, run_reminders
from .schedule import next_run, serve
from .smtp import ConnectionLost, MailSetupError, read_password

__all__ = ["ConnectionLost", "Item", "MailSetupError", "Plan", "Reminder", "RunReport", "World", "compose",
           "next_run", "plan", "read_password", "run_reminders", "serve"]
