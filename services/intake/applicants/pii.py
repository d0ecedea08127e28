"""Protection of the personal identification number (FIN): a keyed hash to find a person by FIN
without storing it in the clear, and authenticated encryption to show it to staff who need it."""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from intake.settings import IntakeSettings

NONCE_BYTES = 12


class FinProtector:
    def __init__(self, settings: IntakeSettings) -> None:
        self._hash_key = settings.fin_hash_key.get_secret_value().encode()
        # Any secret string works: AES-256 takes its SHA-256.
        key = hashlib.sha256(settings.fin_encryption_key.get_secret_value().encode()).digest()
        self._aead = AESGCM(key)

    def hash(self, fin: str) -> str:
        return hmac.new(self._hash_key, fin.encode(), hashlib.sha256).hexdigest()

    def encrypt(self, fin: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, fin.encode(), b"fin")

    def decrypt(self, ciphertext: bytes) -> str:
        nonce, sealed = ciphertext[:NONCE_BYTES], ciphertext[NONCE_BYTES:]
        return self._aead.decrypt(nonce, sealed, b"fin").decode()
