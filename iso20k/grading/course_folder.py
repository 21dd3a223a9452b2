"""The nbgrader course folder: found in one place, :mod:`iso20k.results.course`."""

from ..results.course import CONFIG_FILE, Course, course_folder, load_course, locate_course

__all__ = ["CONFIG_FILE", "Course", "course_folder", "load_course", "locate_course"]
