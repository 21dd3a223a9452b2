"""JupyterHub's configurable-http-proxy, with its process-id file kept root-only (JupyterHub
writes it with the default umask, 0644, in the hub's state folder, where learners may pass)."""

from __future__ import annotations

import os

from jupyterhub.proxy import ConfigurableHTTPProxy


class PrivateFilesProxy(ConfigurableHTTPProxy):
    def _write_pid_file(self):
        self.log.debug("Writing proxy pid file: %s", self.pid_file)
        fd = os.open(self.pid_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(str(self.proxy_process.pid))
