"""Files on many machines: attachments and raw mail in an S3-compatible bucket,
and raw mail compressed wherever it is kept.

The bucket is a real S3-compatible server on loopback (moto in server mode,
started once per session as its own process); Frontline talks to it through
django-storages and boto3 exactly as it would to S3, MinIO or Ceph.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from io import StringIO
from pathlib import Path

import boto3
import pytest
import zstandard
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from frontline.lib.stored_bytes import FILE_REFERENCE, ZSTD_MAGIC
from frontline.mail.models import InboundMessage, Outcome

from .conftest import login

ROOT = Path(__file__).resolve().parent.parent
KEY_ID, SECRET = "frontline-test", "frontline-test-secret"
# A real PNG (1x1), so that the sniffed type is an image shown inline.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory) -> Iterator[str]:
    """An S3-compatible server (moto) on loopback, for the whole session."""
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto did not start: {log.read_text()}") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def s3_client(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
        region_name="us-east-1",
    )


@pytest.fixture
def bucket(s3_endpoint) -> str:
    name = f"frontline-{uuid.uuid4().hex[:12]}"
    s3_client(s3_endpoint).create_bucket(Bucket=name)
    return name


def objects(endpoint: str, bucket: str) -> dict[str, bytes]:
    client = s3_client(endpoint)
    listing = client.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {
        item["Key"]: client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        for item in listing
    }


def s3_environment(endpoint: str, bucket: str) -> dict[str, str]:
    """What an operator sets to put the files in a bucket: nothing else."""
    return {
        "S3_BUCKET": bucket,
        "S3_ENDPOINT_URL": endpoint,
        "S3_ACCESS_KEY_ID": KEY_ID,
        "S3_SECRET_ACCESS_KEY": SECRET,
        "S3_REGION": "us-east-1",
    }


@pytest.fixture
def on_s3(settings, s3_endpoint, bucket, tmp_path) -> str:
    """This process's settings as settings.py makes them from the S3 variables."""
    environment = s3_environment(s3_endpoint, bucket)
    settings.STORAGES = storages_from({**environment, "FRONTLINE_VAR": str(tmp_path / "var")})
    settings.FRONTLINE = {**settings.FRONTLINE, "RAW_MAIL_IN_FILES": True}
    return bucket


def storages_from(environment: dict[str, str]) -> dict:
    """STORAGES as frontline.settings computes it under ``environment`` (read in a
    fresh interpreter, so the test checks settings.py itself)."""
    code = "import json; from frontline import settings; print(json.dumps(settings.STORAGES))"
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **environment},
        capture_output=True,
        check=True,
        text=True,
        cwd=ROOT,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def letter(*, sender="Carol Customer <carol@example.com>", attachment: bytes = PNG) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "support@frontline.test"
    msg["Subject"] = "The printer's display"
    msg["Message-ID"] = f"<{uuid.uuid4().hex}@client.example>"
    msg.set_content("Here is a picture of the display. " * 20)
    msg.add_attachment(attachment, maintype="image", subtype="png", filename="display.png")
    return msg.as_bytes()


def import_mail(path: Path) -> str:
    out = StringIO()
    call_command("mail", "import", str(path), stdout=out)
    return out.getvalue()


def column(inbound: InboundMessage) -> bytes:
    """What the database holds in the raw column, without the field's decoding."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT raw FROM mail_inboundmessage WHERE id = %s", [inbound.pk])
        return bytes(cursor.fetchone()[0])


def test_s3_variables_alone_put_attachments_and_raw_mail_in_the_bucket(
    tmp_path, s3_endpoint, bucket
):
    """`frontline migrate` and `frontline mail import` as an operator runs them,
    with only the environment pointing at the bucket."""
    raw = letter()
    (tmp_path / "letter.eml").write_bytes(raw)
    var = tmp_path / "var"
    env = {
        **os.environ,
        **s3_environment(s3_endpoint, bucket),
        "FRONTLINE_VAR": str(var),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'site.sqlite3'}",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    for command in (["migrate", "--noinput", "-v0"], ["mail", "import", "letter.eml"]):
        done = subprocess.run(
            [sys.executable, "-m", "frontline.manage", *command],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
    assert "new tickets 1" in done.stdout

    stored = objects(s3_endpoint, bucket)
    mail_keys = [key for key in stored if key.startswith("mail/raw/")]
    attachment_keys = [key for key in stored if key.startswith("attachments/")]
    assert len(mail_keys) == 1 and mail_keys[0].endswith(".eml.zst")
    assert zstandard.ZstdDecompressor().decompress(stored[mail_keys[0]]) == raw
    assert [stored[key] for key in attachment_keys] == [PNG]
    assert not (var / "media").exists() or not any((var / "media").rglob("*.*"))


def test_an_attachment_in_the_bucket_downloads_through_the_access_checked_views(
    client, people, on_s3, s3_endpoint, tmp_path
):
    (tmp_path / "letter.eml").write_bytes(letter())
    assert "new tickets 1" in import_mail(tmp_path / "letter.eml")
    inbound = InboundMessage.objects.get()
    attachment = inbound.ticket.attachments.get()
    assert attachment.file.name in objects(s3_endpoint, on_s3)

    login(client, inbound.ticket.requester)
    response = client.get(reverse("portal:attachment", args=[attachment.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"

    login(client, people.sam)  # a supervisor
    response = client.get(reverse("desk:attachment", args=[attachment.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == PNG

    login(client, people.dan)  # a customer of another organisation
    assert client.get(reverse("portal:attachment", args=[attachment.pk])).status_code == 404


def test_raw_mail_in_the_bucket_reads_back_as_received(db, on_s3, s3_endpoint, tmp_path):
    raw = letter()
    (tmp_path / "letter.eml").write_bytes(raw)
    import_mail(tmp_path / "letter.eml")
    inbound = InboundMessage.objects.get()
    assert inbound.outcome == Outcome.NEW_TICKET
    held = column(inbound)
    assert held.startswith(FILE_REFERENCE) and len(held) < 200  # a name, not the mail
    name = held[len(FILE_REFERENCE) :].decode()
    assert name in objects(s3_endpoint, on_s3)
    assert bytes(InboundMessage.objects.get().raw) == raw
    # Importing the same file again is a duplicate: no second row, no second object.
    assert "duplicates skipped 1" in import_mail(tmp_path / "letter.eml")
    assert len([k for k in objects(s3_endpoint, on_s3) if k.startswith("mail/raw/")]) == 1


def test_raw_mail_is_compressed_in_the_database_and_reads_back_as_received(db, tmp_path):
    raw = letter(attachment=b"not much of a picture " * 200)
    (tmp_path / "letter.eml").write_bytes(raw)
    import_mail(tmp_path / "letter.eml")
    inbound = InboundMessage.objects.get()
    held = column(inbound)
    assert held.startswith(ZSTD_MAGIC)
    assert len(held) * 3 < len(raw)
    assert bytes(InboundMessage.objects.get().raw) == raw
    assert not default_storage.exists("mail")  # nothing written to files


def test_raw_mail_stored_before_compression_still_reads_and_processes(db, tmp_path):
    """A row written by an older version holds the bytes as they came."""
    raw = letter()
    (tmp_path / "letter.eml").write_bytes(raw)
    import_mail(tmp_path / "letter.eml")
    inbound = InboundMessage.objects.get()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE mail_inboundmessage SET raw = %s WHERE id = %s", [raw, inbound.pk])
    assert column(inbound) == raw
    assert bytes(InboundMessage.objects.get().raw) == raw


def test_an_uncompressed_raw_mail_file_still_reads(db, tmp_path):
    """A file holding the plain message (copied in by hand, or written by another tool)."""
    raw = letter()
    (tmp_path / "letter.eml").write_bytes(raw)
    import_mail(tmp_path / "letter.eml")
    inbound = InboundMessage.objects.get()
    name = default_storage.save("mail/raw/plain.eml", ContentFile(raw))
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE mail_inboundmessage SET raw = %s WHERE id = %s",
            [FILE_REFERENCE + name.encode(), inbound.pk],
        )
    assert bytes(InboundMessage.objects.get().raw) == raw


def test_old_raw_bytes_that_merely_start_like_a_zstandard_frame_read_unchanged(db):
    raw = ZSTD_MAGIC + b"From: someone\r\n\r\nnot a frame at all"
    row = InboundMessage.objects.create(raw=b"x", content_hash="y" * 64)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE mail_inboundmessage SET raw = %s WHERE id = %s", [raw, row.pk])
    assert bytes(InboundMessage.objects.get().raw) == raw
