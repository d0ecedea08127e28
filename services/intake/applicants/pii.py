"""Protection of the personal identification number (FIN): a keyed hash to find a person by FIN
without storing it in the clear, and authenticated encryption to show it to staff who need it.

A ciphertext is `version (1) | key id length (1) | key id | nonce (12) | AES-256-GCM output`,
sealed with its header and the id of what it belongs to (the applicant, for a FIN) as associated
data: a ciphertext copied to another row, or given another key id, does not decrypt. Every key of
the keyring decrypts; the current one encrypts, and `python -m intake.applicants.rotate`
re-encrypts what older keys sealed.

Ciphertexts written before key ids existed are `nonce | AES-GCM output`, sealed with a constant
(b"fin") or the import's id as associated data; they still decrypt, with any key of the keyring,
until the rotation has re-encrypted them.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import uuid

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from intake.settings import IntakeSettings

NONCE_BYTES = 12
FORMAT_VERSION = 1
UNVERSIONED_FIN_ASSOCIATED_DATA = b"fin"


def header(key_id: str) -> bytes:
    """What every ciphertext under `key_id` starts with."""
    encoded = key_id.encode("ascii")
    return bytes([FORMAT_VERSION, len(encoded)]) + encoded


def key_id_of(ciphertext: bytes) -> str | None:
    """The key id a ciphertext names, or None when it has no well-formed header."""
    if len(ciphertext) < 2 or ciphertext[0] != FORMAT_VERSION:
        return None
    end = 2 + ciphertext[1]
    if len(ciphertext) <= end + NONCE_BYTES:
        return None
    try:
        return ciphertext[2:end].decode("ascii")
    except UnicodeDecodeError:
        return None


class Keyring:
    """AES-256-GCM under several keys by id: the current key seals, every key opens.

    Any secret string works as a key: AES-256 takes the SHA-256 of `label` and the secret, so that
    one secret gives different keys for different uses.
    """

    def __init__(self, settings: IntakeSettings, *, label: bytes = b"") -> None:
        self.key_id = settings.fin_encryption_key_id
        self._aeads = {
            key_id: AESGCM(hashlib.sha256(label + secret.get_secret_value().encode()).digest())
            for key_id, secret in settings.fin_keyring.items()
        }
        self.current_header = header(self.key_id)

    def seal(self, plaintext: bytes, owner: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aeads[self.key_id].encrypt(nonce, plaintext, self.current_header + owner)
        return self.current_header + nonce + sealed

    def open(self, ciphertext: bytes, owner: bytes, *, unversioned_associated: bytes) -> bytes:
        """The plaintext; `unversioned_associated` is what a ciphertext without header was
        sealed with."""
        key_id = key_id_of(ciphertext)
        if key_id is not None and key_id in self._aeads:
            try:
                return self._open_versioned(key_id, ciphertext, owner)
            except InvalidTag:
                pass  # an unversioned ciphertext can start like a header, by chance
        nonce, sealed = ciphertext[:NONCE_BYTES], ciphertext[NONCE_BYTES:]
        for aead in self._aeads.values():
            try:
                return aead.decrypt(nonce, sealed, unversioned_associated)
            except InvalidTag:
                continue
        raise InvalidTag

    def is_current(self, ciphertext: bytes, owner: bytes) -> bool:
        """Whether the ciphertext opens under the current key."""
        if not ciphertext.startswith(self.current_header):
            return False
        try:
            self._open_versioned(self.key_id, ciphertext, owner)
        except InvalidTag:
            return False
        return True

    def _open_versioned(self, key_id: str, ciphertext: bytes, owner: bytes) -> bytes:
        start = len(header(key_id))
        nonce, sealed = ciphertext[start : start + NONCE_BYTES], ciphertext[start + NONCE_BYTES :]
        return self._aeads[key_id].decrypt(nonce, sealed, ciphertext[:start] + owner)


class FinProtector:
    def __init__(self, settings: IntakeSettings) -> None:
        self._hash_key = settings.fin_hash_key.get_secret_value().encode()
        self.keyring = Keyring(settings)

    def hash(self, fin: str) -> str:
        return hmac.new(self._hash_key, fin.encode(), hashlib.sha256).hexdigest()

    def encrypt(self, fin: str, applicant_id: uuid.UUID) -> bytes:
        return self.keyring.seal(fin.encode(), applicant_id.bytes)

    def decrypt(self, ciphertext: bytes, applicant_id: uuid.UUID) -> str:
        opened = self.keyring.open(
            ciphertext, applicant_id.bytes, unversioned_associated=UNVERSIONED_FIN_ASSOCIATED_DATA
        )
        return opened.decode()
