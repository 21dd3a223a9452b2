"""Build step of the wheel (all metadata is in pyproject.toml): the learners' course files --
question banks, lesson notebooks, the dashboard notebook and its Voila template -- go into the
package as ``iso20k/courseware/``, copied from the repository's folders, which stay the only
source.  The question banks go in as learners' copies, without answers and explanations
(iso20k/banks/public.py): the banks with the keys are installed apart, for the records service
only (docs/deployment.md).  Editable installs (``pip install -e``) copy nothing: they read the
checkout's folders (see iso20k/course_files.py).

The learner's and the manager's texts are compiled from their gettext catalogues
(``iso20k/texts/locale/*/LC_MESSAGES/iso20k.po``, with Babel) into the ``.mo`` files the package
reads: into the wheel, or, for an editable install, next to the ``.po`` in the checkout."""

import importlib.util
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
# Keep in step with iso20k.course_files.PACKAGED_FOLDERS (not imported: the build must not need
# the package's dependencies).
PACKAGED_FOLDERS = ("assessments", "course", "dashboard")
LEFT_OUT = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "*.pyc")


class BuildPyWithCourseware(build_py):
    def run(self):
        super().run()
        catalogue = _load("_iso20k_catalogue", HERE / "iso20k" / "texts" / "catalogue.py")
        if self.editable_mode:
            catalogue.compile_all()  # into the checkout, which the editable install reads
            return
        catalogue.compile_all(Path(self.build_lib) / "iso20k" / "texts")
        target = Path(self.build_lib) / "iso20k" / "courseware"
        for name in PACKAGED_FOLDERS:
            if not (HERE / name).is_dir():
                raise SystemExit(f"{HERE / name} is missing: the wheel must carry the course's {name}/ folder.")
            shutil.rmtree(target / name, ignore_errors=True)
            if name == "assessments":
                _public_banks().write_learner_banks(HERE / name, target / name)
            else:
                shutil.copytree(HERE / name, target / name, ignore=LEFT_OUT)


def _public_banks():
    """iso20k/banks/public.py, loaded by path (it needs only PyYAML, a build requirement)."""
    return _load("_iso20k_public_banks", HERE / "iso20k" / "banks" / "public.py")


def _load(name: str, path: Path):
    """A module of the package loaded by path: the build does not import the package (whose
    dependencies it does not have); the modules loaded need only the build requirements."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


setup(cmdclass={"build_py": BuildPyWithCourseware})
