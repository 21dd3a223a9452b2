"""The company's record, read once with the rules that decide what it means; every face
(dashboard, My training, certificates, competence, xAPI, evidence, audit) reads it here."""

from .model import Person, Snapshot, Submission, modules_per_track
from .moments import day_in, parse_moment
from .course import Course, locate_course
from .learner import LearnerRecord, read_learner, read_learners
from .reader import Reader, load_snapshot
from .rules import current_certificate, current_certificates, id_in_roster, hub_user_name, passed
from .status import STATUSES, status_of, statuses

__all__ = ["Person", "Snapshot", "Submission", "modules_per_track", "day_in", "parse_moment", "Reader",
           "load_snapshot", "Course", "locate_course", "LearnerRecord", "read_learner", "read_learners", "current_certificate",
           "current_certificates", "id_in_roster", "hub_user_name", "passed", "STATUSES", "status_of", "statuses"]
