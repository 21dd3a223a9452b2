"""JupyterHub configuration of the ISO/IEC 20000 course (started by ``iso20k hub``).

Everything comes from the product's settings; see ``iso20k settings`` and docs/deployment.md."""

from iso20k.hub.config import configure
from iso20k.settings import get_settings

configure(get_config(), get_settings())  # noqa: F821 - provided by JupyterHub
