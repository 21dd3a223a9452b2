"""The certificate verification page as a hub service: the same handlers as
``iso20k verify-server`` (:func:`iso20k.certificates.web.verification_handlers`), mounted under the
service's prefix (``/services/verify/verify/<code>``), run by the hub as the dashboard account
(``ISO20K_HUB_DASHBOARD_USER``), reading the progress store only.  It is public on purpose: anyone
holding a certificate (an auditor, a customer) checks its code there without a hub account.
Started by the hub::

    python -m iso20k.hub.verify_service
"""

from __future__ import annotations

import asyncio
import logging
import os
from urllib.parse import urlparse

import tornado.web

from ..certificates.web import verification_handlers
from ..settings import get_settings
from ..store import ProgressStore
from .config import service_bind_address


def make_app(prefix: str = "/") -> tornado.web.Application:
    settings = get_settings()
    store = ProgressStore(settings=settings, read_only=True)
    return tornado.web.Application(verification_handlers(store, settings.certificate_warning_days,
                                                         prefix="/" + prefix.strip("/") if prefix.strip("/") else ""))


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="[verify %(asctime)s] %(message)s")
    os.umask(0o077)
    url = urlparse(os.environ["JUPYTERHUB_SERVICE_URL"])
    address = service_bind_address(get_settings(), url)

    async def serve():
        make_app(os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/")).listen(url.port, address=address)
        logging.info("verification page listening on %s:%s", address, url.port)
        await asyncio.Event().wait()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
