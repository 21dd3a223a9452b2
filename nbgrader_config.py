"""nbgrader settings for the ISO/IEC 20000 course (read by every nbgrader command run here).

The course folder is this repository: source/ holds the assessments, release/ the learners'
versions, submitted/ autograded/ feedback/ are created by nbgrader, gradebook.db is the
gradebook (unless the ISO20K_GRADEBOOK_URL setting names another, e.g. in PostgreSQL), and exchange/ (inside the course folder, so no root-owned /srv is needed) is where
learners fetch and submit.
"""

import os

from iso20k.grading.config import apply_course_config

c = get_config()  # noqa: F821 - provided by nbgrader
apply_course_config(c, os.path.dirname(os.path.abspath(__file__)))
