"""FIN encryption: ciphertexts name their key and are bound to their applicant; the keyring reads
old keys and ciphertexts of the first format; a rotation re-encrypts every FIN under the current
key while registrations and reads go on."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import sys
import uuid
from typing import Any

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import SecretStr
from sqlalchemy import select, text, update

from intake.applicants.models import Applicant
from intake.applicants.pii import FinProtector, header, key_id_of
from intake.applicants.rotate import rotate
from intake.settings import IntakeSettings
from tests.intake.applicants_support import register
from tests.service_fixtures import Auth, Service

NEW_KEY = "a-new-fin-encryption-key-of-enough-length"


def settings_of(service: Service) -> IntakeSettings:
    assert isinstance(service.settings, IntakeSettings)
    return service.settings


def rotated(settings: IntakeSettings) -> IntakeSettings:
    """The settings of the next key: "2" current, the old "1" still read."""
    return settings.model_copy(
        update={
            "fin_encryption_key": SecretStr(NEW_KEY),
            "fin_encryption_key_id": "2",
            "fin_encryption_old_keys": {"1": settings.fin_encryption_key},
        }
    )


def unversioned(settings: IntakeSettings, fin: str, nonce_start: bytes = b"") -> bytes:
    """A ciphertext as written before key ids: nonce, then AES-GCM with the constant b"fin"."""
    key = hashlib.sha256(settings.fin_encryption_key.get_secret_value().encode()).digest()
    nonce = nonce_start + os.urandom(12 - len(nonce_start))
    return nonce + AESGCM(key).encrypt(nonce, fin.encode(), b"fin")


async def ciphertexts(service: Service) -> dict[uuid.UUID, bytes]:
    async with service.runtime.sessionmaker() as session:
        rows = await session.execute(select(Applicant.id, Applicant.fin_ciphertext))
        return {row.id: row.fin_ciphertext for row in rows}


async def test_a_ciphertext_names_its_key_and_opens_only_for_its_applicant(
    intake: Service, auth: Auth
) -> None:
    officer = auth("case_officer")
    first = await register(intake, officer)
    second = await register(intake, officer)
    stored = await ciphertexts(intake)
    fins = FinProtector(settings_of(intake))
    first_id, second_id = uuid.UUID(first["id"]), uuid.UUID(second["id"])
    assert key_id_of(stored[first_id]) == "1"
    assert fins.decrypt(stored[first_id], first_id) == first["fin"]
    with pytest.raises(InvalidTag):  # copied onto another person's row, it does not open
        fins.decrypt(stored[first_id], second_id)


async def test_ciphertexts_of_the_first_format_still_read(intake: Service, auth: Auth) -> None:
    officer = auth("case_officer")
    created = await register(intake, officer)
    async with intake.runtime.sessionmaker() as session, session.begin():
        await session.execute(
            update(Applicant)
            .where(Applicant.id == uuid.UUID(created["id"]))
            .values(fin_ciphertext=unversioned(settings_of(intake), created["fin"]))
        )
    read = await intake.client.get(f"/v1/applicants/{created['id']}", headers=officer)
    assert read.status_code == 200, read.text
    assert read.json()["fin"] == created["fin"]


async def test_a_first_format_ciphertext_that_looks_like_the_new_key_is_rotated_too(
    intake: Service, auth: Auth
) -> None:
    officer = auth("case_officer")
    created = await register(intake, officer)
    applicant_id = uuid.UUID(created["id"])
    new_settings = rotated(settings_of(intake))
    # Its random nonce happens to begin like a ciphertext under key "2".
    lookalike = unversioned(settings_of(intake), created["fin"], nonce_start=header("2"))
    async with intake.runtime.sessionmaker() as session, session.begin():
        await session.execute(
            update(Applicant).where(Applicant.id == applicant_id).values(fin_ciphertext=lookalike)
        )
    assert FinProtector(new_settings).decrypt(lookalike, applicant_id) == created["fin"]

    rotation = await rotate(intake.runtime.engine, new_settings)
    assert rotation.fins == 1
    only_new = FinProtector(new_settings.model_copy(update={"fin_encryption_old_keys": {}}))
    assert (
        only_new.decrypt((await ciphertexts(intake))[applicant_id], applicant_id) == created["fin"]
    )


async def test_rotation_while_registrations_and_reads_go_on(intake: Service, auth: Auth) -> None:
    officer = auth("case_officer")
    before = [await register(intake, officer) for _ in range(30)]
    # Five rows of the first format, as a database from before key ids holds.
    async with intake.runtime.sessionmaker() as session, session.begin():
        for created in before[:5]:
            await session.execute(
                update(Applicant)
                .where(Applicant.id == uuid.UUID(created["id"]))
                .values(fin_ciphertext=unversioned(settings_of(intake), created["fin"]))
            )
    # The new key rolled out: the service writes under "2" and reads "1" too.
    new_settings = rotated(settings_of(intake))
    intake.runtime.parts[FinProtector] = FinProtector(new_settings)

    async def reads() -> None:
        for created in before * 2:
            response = await intake.client.get(f"/v1/applicants/{created['id']}", headers=officer)
            assert response.status_code == 200, response.text
            assert response.json()["fin"] == created["fin"]

    async def registrations() -> list[dict[str, Any]]:
        return [await register(intake, officer) for _ in range(15)]

    rotation, _, during = await asyncio.gather(
        rotate(intake.runtime.engine, new_settings, batch_size=7), reads(), registrations()
    )
    assert (rotation.fins, rotation.fins_left) == (30, 0)

    # Every FIN is under the new key, and opens with the new key alone.
    only_new = FinProtector(new_settings.model_copy(update={"fin_encryption_old_keys": {}}))
    expected = {uuid.UUID(a["id"]): a["fin"] for a in before + during}
    stored = await ciphertexts(intake)
    assert set(stored) == set(expected)
    for applicant_id, sealed in stored.items():
        assert key_id_of(sealed) == "2"
        assert only_new.decrypt(sealed, applicant_id) == expected[applicant_id]

    # The command: nothing left to do, and it says so.
    env = {
        **os.environ,
        "INTAKE_DATABASE_URL": intake.settings.database_url,
        "INTAKE_FIN_ENCRYPTION_KEY": NEW_KEY,
        "INTAKE_FIN_ENCRYPTION_KEY_ID": "2",
        "INTAKE_FIN_ENCRYPTION_OLD_KEYS": json.dumps(
            {"1": settings_of(intake).fin_encryption_key.get_secret_value()}
        ),
    }
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "intake.applicants.rotate", "--batch-size", "10"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "0 FINs" in done.stdout


async def test_the_command_rotates_and_reports(intake: Service, auth: Auth) -> None:
    officer = auth("case_officer")
    created = [await register(intake, officer) for _ in range(3)]
    old_key = settings_of(intake).fin_encryption_key.get_secret_value()
    env = {
        **os.environ,
        "INTAKE_DATABASE_URL": intake.settings.database_url,
        "INTAKE_FIN_ENCRYPTION_KEY": NEW_KEY,
        "INTAKE_FIN_ENCRYPTION_KEY_ID": "2",
        "INTAKE_FIN_ENCRYPTION_OLD_KEYS": json.dumps({"1": old_key}),
    }
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "intake.applicants.rotate"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "re-encrypted under key 2: 3 FINs" in done.stdout
    async with intake.runtime.sessionmaker() as session:
        keys = {
            key_id_of(c)
            for c in (await session.scalars(text("SELECT fin_ciphertext FROM applicants")))
        }
    assert keys == {"2"}
    assert len(created) == 3
