"""Grade changes sent to the trail writer (the hub's records service) by processes that may not
write the progress store themselves: the trainers' formgrader and ``iso20k autograde`` run as the
grader account.

The request carries two hub tokens, both checked by the records service with the hub: the
formgrader service's own (``JUPYTERHUB_API_TOKEN``, which the hub gives the service; it says the
request comes from the trainers' formgrader) and, for a grade given by hand, the trainer's own
token from the sign-in of the request being served (it says which trainer; the trail records that
name, never one the request claims).  Nothing here has a progress-store URL or password."""

from __future__ import annotations

from ..http_json import HttpRefused, HttpUnreachable, call_json
from ..settings import Settings, read_settings

TRAINER_HEADER = "X-ISO20K-Trainer-Token"


class TrailWriteFailed(RuntimeError):
    """The trail writer did not record the change; whatever caused it must not be saved."""


def service_token() -> str:
    """This service's hub token (JupyterHub's JUPYTERHUB_API_TOKEN), read afresh."""
    token = read_settings().jupyterhub_api_token
    return token.get_secret_value() if token else ""


def fetch_roster(settings: Settings, timeout: float = 60) -> list[dict]:
    """The active roster (employee id, name, e-mail), from the records service, for the
    formgrader's 'iso20k sync-roster' on the hub (the grader account cannot read the store)."""
    token = service_token()
    if not token:
        raise TrailWriteFailed("no hub token of the formgrader service (JUPYTERHUB_API_TOKEN): run this in the "
                               "trainers' formgrader (its terminal) on the hub")
    try:
        return call_json(settings.trail_url.rstrip("/") + "/api/trail/roster", token, timeout_s=timeout)["people"]
    except HttpRefused as exc:
        raise TrailWriteFailed(f"the records service refused the roster ({exc.status})") from None
    except (HttpUnreachable, TypeError, KeyError) as exc:
        raise TrailWriteFailed(f"the records service ({settings.trail_url}) could not be reached: {exc}") from None


def send_grades(settings: Settings, source: str, submissions: list[dict], trainer_token: str | None = None,
                claimed_by: str | None = None, timeout: float = 30) -> list[dict]:
    """Post ``submissions`` (see :func:`iso20k.audit.grades.submissions_changed`) to the trail
    writer; the entries written (``seq``, ``hash``, ``action``, ``actor``).  Raises
    :class:`TrailWriteFailed` with the reason."""
    body: dict = {"source": source, "submissions": submissions}
    if claimed_by:
        body["claimed_by"] = claimed_by
    return _post(settings, "grades", body, "entries", trainer_token, timeout, "refused the grade change")


def request_certificates(settings: Settings, students: list[str], tracks: list[str] | None = None,
                         trainer_token: str | None = None, claimed_by: str | None = None,
                         timeout: float = 120) -> list[dict]:
    """Ask the trail writer to issue the certificates ``students`` (nbgrader student ids) have
    earned in ``tracks`` (all when None), after their grades were saved; the certificates it
    issued (``code``, ``employee_id``, ``track``, ``valid_until``).  The records service reads the
    record itself (the gradebook read-only) and issues only what it shows was earned: asking can
    cause nothing else.  Raises :class:`TrailWriteFailed` with the reason."""
    body: dict = {"students": list(students)}
    if tracks is not None:
        body["tracks"] = list(tracks)
    if claimed_by:
        body["claimed_by"] = claimed_by
    return _post(settings, "certificates", body, "certificates", trainer_token, timeout,
                 "did not issue the certificates")


def _post(settings: Settings, door: str, body: dict, key: str, trainer_token: str | None, timeout: float,
          refused: str) -> list[dict]:
    """POST ``body`` to the trail writer's ``api/trail/<door>`` with the formgrader service's hub
    token (and the trainer's, when given); the reply's ``key``.  Raises :class:`TrailWriteFailed`
    saying what went wrong and what to do."""
    token = service_token()
    if not token:
        raise TrailWriteFailed("no hub token of the formgrader service (JUPYTERHUB_API_TOKEN) to reach the trail "
                               "writer with: run this in the trainers' formgrader (its terminal) on the hub")
    url = settings.trail_url.rstrip("/") + f"/api/trail/{door}"
    try:
        return call_json(url, token, "POST", body, timeout,
                         headers={TRAINER_HEADER: trainer_token} if trainer_token else None)[key]
    except HttpRefused as exc:
        raise TrailWriteFailed(f"the trail writer {refused} ({exc.status}): {exc.message}") from None
    except (HttpUnreachable, TypeError, KeyError) as exc:
        raise TrailWriteFailed(f"the trail writer ({settings.trail_url}) could not be reached: {exc}") from None

