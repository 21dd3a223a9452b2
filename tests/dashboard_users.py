"""A test identity provider that tells several people apart without JupyterHub: each person has
their own token (``ISO20K_TEST_USER_TOKENS``, JSON {token: user name}).  It mixes in
:class:`ViewerStamp` exactly as the hub's provider does, so the dashboard under test takes the same
path as behind the hub; the login itself is the only part that differs."""

from __future__ import annotations

import json
import os

from jupyter_server.auth.identity import IdentityProvider, User

from iso20k.dashboard.access import ViewerStamp


class PerUserTokens(ViewerStamp, IdentityProvider):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.users = json.loads(os.environ["ISO20K_TEST_USER_TOKENS"])

    def get_user_token(self, handler):
        name = self.users.get(self.get_token(handler) or "")
        return User(name) if name else None
