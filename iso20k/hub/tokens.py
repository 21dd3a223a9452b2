"""Service tokens kept in the hub's state folder (root only, 0600), never on a command line."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def service_token(state_dir: Path, service: str) -> str:
    """The API token of ``service``, created on first use."""
    path = Path(state_dir) / f"{service}.token"
    if not path.exists():
        Path(state_dir).mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip()


def read_service_token(state_dir: Path, service: str) -> str:
    path = Path(state_dir) / f"{service}.token"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        raise FileNotFoundError(f"{path} does not exist: start the hub once ('iso20k hub') so it "
                                f"creates the {service} service's token") from None
    except PermissionError:
        raise PermissionError(f"{path} is readable by root only: run this command as root (sudo)") from None
