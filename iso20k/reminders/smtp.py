"""The mail server: one connection per run, STARTTLS or implicit TLS with the server's certificate
and name checked, a login whose password is read from a file only its owner can read (never a
setting's value, an option or output), and every answer sorted into sent, refused or lost."""

from __future__ import annotations

import os
import smtplib
import ssl
import stat
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from ..settings import Settings, env_name


class MailSetupError(RuntimeError):
    """The mail settings are incomplete or the password file is not safe: nothing was sent."""


class ConnectionLost(RuntimeError):
    """The mail server went away (or never answered) before it accepted a message."""


@dataclass(frozen=True)
class Outcome:
    sent: bool
    refused: bool  # for good (5xx): not tried again
    detail: str = ""


def read_password(path: Path | None) -> str | None:
    """The password in ``path`` (its first line), after checking the file is a regular file of
    this account that nobody else may read or write (else: what to do)."""
    if path is None:
        return None
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        raise MailSetupError(f"{env_name('smtp_password_file')}: {path} does not exist") from None
    except OSError as exc:
        raise MailSetupError(f"{env_name('smtp_password_file')}: {path} cannot be opened ({exc.strerror}; "
                             "a link is not followed)") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise MailSetupError(f"{env_name('smtp_password_file')}: {path} is not a regular file")
        if info.st_mode & 0o077:
            raise MailSetupError(f"{env_name('smtp_password_file')}: {path} may be read or written by others "
                                 f"(mode {stat.S_IMODE(info.st_mode):04o}); run: chmod 600 {path}")
        if info.st_uid != os.geteuid():
            raise MailSetupError(f"{env_name('smtp_password_file')}: {path} belongs to another account; it must "
                                 "belong to the account that sends the reminders")
        with os.fdopen(os.dup(fd), "r", encoding="utf-8") as fh:
            password = fh.readline().rstrip("\r\n")
    finally:
        os.close(fd)
    if not password:
        raise MailSetupError(f"{env_name('smtp_password_file')}: {path} is empty")
    return password


def check_mail_settings(settings: Settings) -> None:
    """Refuse to send with incomplete or unsafe mail settings (before anything is claimed)."""
    if not settings.smtp_host:
        raise MailSetupError(f"no mail server: set {env_name('smtp_host')} (or use --dry-run)")
    if settings.smtp_security == "none" and settings.smtp_host not in ("127.0.0.1", "localhost", "::1"):
        raise MailSetupError(f"{env_name('smtp_security')}=none sends in the clear: only for a mail server on "
                             "127.0.0.1; use starttls or tls")
    if settings.smtp_username and settings.smtp_password_file is None:
        raise MailSetupError(f"{env_name('smtp_username')} is set but {env_name('smtp_password_file')} is not")
    read_password(settings.smtp_password_file)


class Mailer:
    """One connection to the mail server for a run (``with Mailer(settings) as m: m.send(msg)``)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None

    def __enter__(self) -> "Mailer":
        s = self.settings
        context = ssl.create_default_context(cafile=str(s.smtp_ca_file) if s.smtp_ca_file else None)
        try:
            if s.smtp_security == "tls":
                self.smtp = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_s, context=context)
            else:
                self.smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_s)
                self.smtp.ehlo()
                if s.smtp_security == "starttls":
                    self.smtp.starttls(context=context)
                    self.smtp.ehlo()
            if s.smtp_username:
                self.smtp.login(s.smtp_username, read_password(s.smtp_password_file) or "")
        except smtplib.SMTPAuthenticationError as exc:
            self._drop()
            raise MailSetupError(f"the mail server refused the login of {s.smtp_username}: {exc.smtp_code} "
                                 f"{_reply(exc.smtp_error)}") from None
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            raise ConnectionLost(f"{s.smtp_host}:{s.smtp_port}: {type(exc).__name__}: {exc}") from None
        return self

    def __exit__(self, *exc) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._drop()

    def _drop(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.close()
            except OSError:
                pass
        self.smtp = None

    def send(self, msg: EmailMessage) -> Outcome:
        """Send one message: sent (the server accepted it), refused (5xx: for good; 4xx: put off),
        or :class:`ConnectionLost` (not accepted; the run stops and the message is tried again)."""
        if self.smtp is None:
            raise ConnectionLost("no connection to the mail server")
        try:
            refused = self.smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            return Outcome(False, code >= 500, f"{code} {_reply(reply)}")
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            if exc.smtp_code >= 500:
                return Outcome(False, True, f"{exc.smtp_code} {_reply(exc.smtp_error)}")
            return Outcome(False, False, f"{exc.smtp_code} {_reply(exc.smtp_error)}")
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            raise ConnectionLost(f"{type(exc).__name__}: {exc}") from None
        if refused:
            code, reply = next(iter(refused.values()))
            return Outcome(False, code >= 500, f"{code} {_reply(reply)}")
        return Outcome(True, False)


def _reply(raw) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
