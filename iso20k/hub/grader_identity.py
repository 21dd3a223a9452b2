"""Who is grading in the trainers' shared formgrader (the hub's ``iso20k`` service).

The formgrader runs as one shared grader account, so the process alone cannot say which trainer
gave a grade.  :class:`TrainerIdentityProvider` is JupyterHub's own identity provider for
single-user servers, plus one step: once the hub has said who signed in, the name is kept for
that request (:data:`iso20k.audit.actor.REQUEST_ACTOR`), and the audit trail records manual
grades under that trainer.  Set through ``ServerApp.identity_provider_class`` on the service's
command line (see :mod:`iso20k.hub.config`)."""

from __future__ import annotations

from jupyterhub.singleuser.extension import JupyterHubIdentityProvider

from ..audit.actor import REQUEST_ACTOR, REQUEST_TOKEN


class TrainerIdentityProvider(JupyterHubIdentityProvider):
    async def get_user(self, handler):
        user = await super().get_user(handler)
        REQUEST_ACTOR.set(user.username if user is not None else None)
        # the trainer's own hub token (from the sign-in cookie or the Authorization header): the
        # trail writer asks the hub whose it is, so a manual grade is recorded under that trainer
        REQUEST_TOKEN.set((self.hub_auth.get_token(handler) or None) if user is not None else None)
        return user
