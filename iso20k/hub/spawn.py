"""What the hub does before each learner's server starts (``Spawner.pre_spawn_hook``)."""

from __future__ import annotations

import os
import pwd
import subprocess

from ..settings import Settings, env_name


def _as_user(name: str):
    entry = pwd.getpwnam(name)

    def drop():
        os.setgid(entry.pw_gid)
        os.initgroups(name, entry.pw_gid)
        os.setuid(entry.pw_uid)

    return entry, drop


def deliver_course(settings: Settings, user_name: str, language: str, log) -> None:
    """Copy new and updated lessons into the learner's home, running as the learner."""
    entry, drop = _as_user(user_name)
    target = os.path.join(entry.pw_dir, settings.hub_home_course_folder)
    env = {"HOME": entry.pw_dir, "USER": user_name, "LANG": "C.UTF-8", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([str(settings.hub_python), "-m", "iso20k.hub.deliver", str(settings.course_dir), target,
                           language],
                          preexec_fn=drop, env=env, cwd=entry.pw_dir, capture_output=True, text=True,
                          timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"could not deliver the course to {user_name}: {done.stderr.strip()[-500:]}")
    log.info("course delivered to %s: %s", user_name, done.stdout.strip())


def make_pre_spawn_hook(settings: Settings):
    def pre_spawn_hook(spawner):
        language = remembered_language(settings, spawner.user.name) or settings.language
        spawner.environment = {**spawner.environment, env_name("language"): language}
        if settings.hub_spawner == "localprocess":
            deliver_course(settings, spawner.user.name, language, spawner.log)
    return pre_spawn_hook


def remembered_language(settings: Settings, hub_name: str) -> str | None:
    """The language the learner last chose in a quiz (kept by the records service)."""
    from .learners import LearnerNames

    # the hub's own settings are these: one store kept open, no engine or migration check per start;
    # read-only: the hub (root) never writes the records service's store
    store = _read_only_store()
    return store.language(LearnerNames(store).learner_id(hub_name))


_store = None


def _read_only_store():
    global _store
    if _store is None:
        from ..store import ProgressStore

        _store = ProgressStore(read_only=True)
    return _store
