"""A throwaway Dovecot IMAP server on loopback, for the IMAP transport's tests.

Started once per test session from Debian's ``dovecot-imapd`` (``scripts/system-deps``
installs it): its own config, base_dir, maildir and log in a temporary directory, a
passwd-file with one user, plain-text login allowed. If Dovecot is missing the tests
fail: the IMAP transport is not tested against a fake.

TLS as in production, with a throwaway CA made at run time by the ``openssl``
binary (Dovecot depends on it): the server's certificate names 127.0.0.1 and
localhost and is signed by that CA, which nothing trusts unless a test says so
(``MAIL_CA_FILE``). Listeners, all on loopback:

- ``host:port``: plain IMAP offering STARTTLS;
- ``host:tls_port``: implicit TLS (IMAPS), also on ``misnamed_host``, an address the
  certificate does not name;
- ``no_starttls_host:no_starttls_port``: plain IMAP without STARTTLS (``ssl = no``
  for that address), a server that cannot do TLS.

As an ordinary user everything runs as that user. As root (CI containers) Dovecot
refuses to run its mail processes as root, so they run as the package's own
``dovecot`` user, which then owns the temporary maildir.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from imapclient import IMAPClient

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
IMAP_USER = "frontline"
IMAP_PASSWORD = "s3cret-for-tests"


@dataclass(frozen=True)
class Dovecot:
    host: str
    port: int
    username: str
    password: str
    log: Path
    tls_port: int
    ca_file: Path
    misnamed_host: str = "127.0.0.3"
    no_starttls_host: str = "127.0.0.2"
    no_starttls_port: int = 0

    def client(self) -> IMAPClient:
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=10)
        client.login(self.username, self.password)
        return client


def _free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _certificates(root: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate it signed for 127.0.0.1 and localhost,
    valid for two days: (CA certificate, server certificate, server key)."""
    openssl = shutil.which("openssl")
    assert openssl, "openssl is not installed (Debian's dovecot-core depends on it)."
    ca_key, ca, key, request, cert = (
        root / name for name in ("ca.key", "ca.pem", "server.key", "server.csr", "server.pem")
    )
    extensions = root / "server.ext"
    extensions.write_text(
        "subjectAltName = IP:127.0.0.1, DNS:localhost\n"
        "basicConstraints = critical, CA:FALSE\n"
        "keyUsage = critical, digitalSignature\n"
        "extendedKeyUsage = serverAuth\n"
        "subjectKeyIdentifier = hash\n"
        "authorityKeyIdentifier = keyid\n"
    )

    def run(*args: object) -> None:
        subprocess.run([openssl, *map(str, args)], check=True, capture_output=True)

    new_key = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    run(
        *("req", "-new", "-x509", *new_key, "-days", 2, "-keyout", ca_key, "-out", ca),
        *("-subj", "/CN=Frontline test CA", "-addext", "basicConstraints=critical,CA:TRUE"),
        *("-addext", "keyUsage=critical,keyCertSign,cRLSign"),
    )
    run("req", "-new", *new_key, "-keyout", key, "-out", request, "-subj", "/CN=localhost")
    run(
        *("x509", "-req", "-in", request, "-CA", ca, "-CAkey", ca_key, "-days", 2),
        *("-set_serial", int.from_bytes(os.urandom(8)), "-extfile", extensions, "-out", cert),
    )
    return ca, cert, key


def _config(
    root: Path, server: Dovecot, cert: Path, key: Path, mail_user: str, login_user: str
) -> str:
    return f"""
protocols = imap
listen = {server.host}
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = no
login_trusted_networks = 127.0.0.0/8
auth_mechanisms = plain login
default_internal_user = {mail_user}
default_internal_group = {grp.getgrgid(pwd.getpwnam(mail_user).pw_gid).gr_name}
default_login_user = {login_user}
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:{root}/mail/%u
mail_fsync = never
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/users
}}
userdb {{
  driver = passwd-file
  args = {root}/users
}}
service imap-login {{
  inet_listener imap {{
    address = {server.host}
    port = {server.port}
  }}
  inet_listener imaps {{
    address = {server.host}, {server.misnamed_host}
    port = {server.tls_port}
    ssl = yes
  }}
  inet_listener imap_without_tls {{
    address = {server.no_starttls_host}
    port = {server.no_starttls_port}
  }}
}}
local {server.no_starttls_host} {{
  ssl = no
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""


@pytest.fixture(scope="session")
def dovecot_server():
    assert Path(DOVECOT).exists(), (
        "Dovecot is not installed: run scripts/system-deps (Debian's dovecot-imapd)."
    )
    root = Path(tempfile.mkdtemp(prefix="frontline-dovecot-"))
    if os.geteuid() == 0:
        mail_user, login_user = "dovecot", "dovenull"
    else:
        mail_user = login_user = pwd.getpwuid(os.geteuid()).pw_name
    owner = pwd.getpwnam(mail_user)
    (root / "mail").mkdir()
    (root / "state").mkdir()
    (root / "users").write_text(
        f"{IMAP_USER}:{IMAP_PASSWORD}:{owner.pw_uid}:{owner.pw_gid}::{root}/mail/{IMAP_USER}\n"
    )
    if os.geteuid() == 0:
        os.chmod(root, 0o755)  # noqa: S103 - the dovecot user must reach its maildir
        shutil.chown(root / "mail", owner.pw_uid, owner.pw_gid)
    ca, cert, key = _certificates(root)
    log = root / "dovecot.log"
    server = Dovecot(
        "127.0.0.1",
        _free_port(),
        IMAP_USER,
        IMAP_PASSWORD,
        log,
        tls_port=_free_port(),
        ca_file=ca,
        no_starttls_port=_free_port(Dovecot.no_starttls_host),
    )
    config = root / "dovecot.conf"
    config.write_text(_config(root, server, cert, key, mail_user, login_user))
    # In the foreground (-F): the process is ours to stop, and no daemon is left behind.
    with (root / "stderr.log").open("wb") as stderr:
        process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=stderr
        )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                server.client().logout()
                break
            except Exception as exc:  # refused, reset, not logged in yet
                if process.poll() is not None or time.monotonic() > deadline:
                    text = "".join(p.read_text() for p in (log, root / "stderr.log") if p.exists())
                    raise AssertionError(f"dovecot does not answer: {exc}\n{text}") from exc
                time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def dovecot(dovecot_server: Dovecot) -> Dovecot:
    """The session's Dovecot with an empty INBOX and no other folders."""
    with dovecot_server.client() as client:
        for _flags, _delimiter, name in client.list_folders():
            if name != "INBOX":
                client.delete_folder(name)
        client.select_folder("INBOX")
        uids = client.search("ALL")
        if uids:
            client.delete_messages(uids)
            client.expunge()
    return dovecot_server
