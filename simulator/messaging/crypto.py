"""The primitives: X25519 agreement, HKDF-SHA256, ChaCha20-Poly1305 and a symmetric-key ratchet.

Everything here is standard and comes from the `cryptography` package; this module only names
the few operations the messaging layer needs. Key material is drawn from a seeded generator so
that a simulated run repeats byte for byte: that is right for a simulator and wrong for anything
real.
"""

from __future__ import annotations

import hmac

import numpy as np
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
ZERO_NONCE = bytes(NONCE_BYTES)


class KeyMaker:
    """Secret bytes and key pairs from a seeded generator (repeatable, for simulation only)."""

    _BATCH = 256 * KEY_BYTES

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self._pool = b""

    def secret(self, size: int = KEY_BYTES) -> bytes:
        """`size` random bytes (drawn from the generator in batches, which is much faster)."""
        if len(self._pool) < size:
            self._pool += self.rng.bytes(max(self._BATCH, size))
        out, self._pool = self._pool[:size], self._pool[size:]
        return out

    def private(self) -> X25519PrivateKey:
        """A fresh X25519 private key."""
        return X25519PrivateKey.from_private_bytes(self.secret())


def public_bytes(key: X25519PrivateKey) -> bytes:
    """The 32-byte public half of a private key."""
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def private_bytes(key: X25519PrivateKey) -> bytes:
    """The 32 raw bytes of a private key (as a phone stores it)."""
    return key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def private_from(raw: bytes) -> X25519PrivateKey:
    """A private key from its 32 raw bytes."""
    return X25519PrivateKey.from_private_bytes(raw)


def agree(private: X25519PrivateKey, public: bytes) -> bytes:
    """X25519 key agreement: the secret two parties share."""
    return private.exchange(X25519PublicKey.from_public_bytes(public))


def hkdf(secret: bytes, info: bytes, salt: bytes = b"", length: int = KEY_BYTES) -> bytes:
    """HKDF-SHA256."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt or None, info=info).derive(
        secret
    )


def encrypt(key: bytes, plaintext: bytes, header: bytes, nonce: bytes = ZERO_NONCE) -> bytes:
    """ChaCha20-Poly1305, the header as associated data (a key is never used twice with a nonce)."""
    return ChaCha20Poly1305(key).encrypt(nonce, plaintext, header)


def decrypt(
    key: bytes, ciphertext: bytes, header: bytes, nonce: bytes = ZERO_NONCE
) -> bytes | None:
    """The plaintext, or None when authentication fails (wrong key, or changed bytes)."""
    try:
        return ChaCha20Poly1305(key).decrypt(nonce, ciphertext, header)
    except InvalidTag:
        return None


def _mac(key: bytes, data: bytes) -> bytes:
    return hmac.digest(key, data, "sha256")


def message_key(chain_key: bytes) -> bytes:
    """The message key a chain key gives (the ratchet's output)."""
    return _mac(chain_key, b"\x01")


def next_chain_key(chain_key: bytes) -> bytes:
    """The chain key after one step; the old one can then be deleted."""
    return _mac(chain_key, b"\x02")


def indexed_key(base_key: bytes, index: int) -> bytes:
    """Without the ratchet: message key `index`, derived directly from a key that is kept."""
    return _mac(base_key, b"\x03" + index.to_bytes(4, "big"))
