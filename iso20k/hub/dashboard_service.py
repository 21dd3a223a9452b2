"""The management dashboard as a hub service: the same Voila server as ``iso20k dashboard``,
listening on 127.0.0.1 under the service's prefix, with the hub's login in front
(:class:`iso20k.hub.dashboard_identity.HubViewerIdentityProvider`).  The hub lets only the groups
in :data:`iso20k.hub.roles.DASHBOARD_GROUPS` through; the page then shows each viewer only what
the roster allows (:mod:`iso20k.dashboard.viewer`).  Started by the hub::

    python -m iso20k.hub.dashboard_service
"""

from __future__ import annotations

import os
from urllib.parse import urlparse

from ..dashboard.serve import dashboard_server
from ..settings import get_settings
from .config import enter_service_account, service_bind_address

IDENTITY_PROVIDER = "iso20k.hub.dashboard_identity.HubViewerIdentityProvider"


def main() -> None:
    enter_service_account()
    settings = get_settings().model_copy(update={"dashboard_identity_provider": IDENTITY_PROVIDER,
                                                 "dashboard_token": None})
    url = urlparse(os.environ["JUPYTERHUB_SERVICE_URL"])
    server = dashboard_server(settings, port=url.port, ip=service_bind_address(settings, url), token="",
                              base_url=os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/"))
    os.chdir(settings.dashboard_dir)
    os.execve(server.argv[0], server.argv, server.env)


if __name__ == "__main__":
    main()
