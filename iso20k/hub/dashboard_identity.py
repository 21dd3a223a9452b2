"""How the dashboard behind the hub learns who is looking: the hub's OAuth login (JupyterHub's
own identity provider for services and single-user servers), with the signed viewer stamp of
:mod:`iso20k.dashboard.access` added, so the page's kernel (a prepared one too) receives the
hub user's name and groups from the server, never from the browser."""

from __future__ import annotations

from jupyter_server.utils import url_path_join
from jupyterhub.singleuser.extension import JupyterHubIdentityProvider

from ..dashboard.access import ViewerStamp


class HubViewerIdentityProvider(ViewerStamp, JupyterHubIdentityProvider):
    """Sign-in through the hub (no token of its own); the stamp carries the hub user."""

    @property
    def token(self) -> str:
        return ""  # the hub's login decides who gets in; there is no dashboard token to show or accept

    @token.setter
    def token(self, value) -> None:
        pass  # Voila passes its (empty) token setting; it has no meaning behind the hub

    def get_handlers(self):
        """The OAuth callback and logout routes, under the service's prefix (Voila, unlike
        Jupyter Server, adds identity-provider routes as given)."""
        base = getattr(self.parent, "base_url", "/") or "/"
        return [(url_path_join(base, route), *rest) for route, *rest in super().get_handlers()]
