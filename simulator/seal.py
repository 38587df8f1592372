"""Passphrase sealing of scenario and result files: scrypt, ChaCha20-Poly1305, a versioned header.

A sealed file is a 48-byte header followed by the ciphertext and its 16-byte tag:

    offset  size  field
    0       16    magic, b"EXPOSURE-SEALED\\n" (so `head -1` names what the file is)
    16      1     format version, 1
    17      1     scrypt log2(N)
    18      1     scrypt r
    19      1     scrypt p
    20      16    scrypt salt (random)
    36      12    ChaCha20-Poly1305 nonce (random)
    48      ...   ciphertext of the whole file, then the tag

The key is scrypt(passphrase in UTF-8, NFC, salt, N, r, p), 32 bytes. The whole header is the
associated data, so changing any byte of it, or of the ciphertext, is detected. Every file gets a
fresh salt and therefore a fresh key. Everything happens in memory: nothing here writes a file.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from simulator.errors import SealError
from simulator.files import FileProblem, read_bounded
from simulator.i18n import _

MAGIC = b"EXPOSURE-SEALED\n"
VERSION = 1
SALT_BYTES = 16
NONCE_BYTES = 12
TAG_BYTES = 16
HEADER_BYTES = len(MAGIC) + 4 + SALT_BYTES + NONCE_BYTES
OVERHEAD = HEADER_BYTES + TAG_BYTES
# Files larger than this are not sealed or unsealed (the AEAD takes the file in one piece).
MAX_SEALED_BYTES = 1024**3
MAX_PASSPHRASE_BYTES = 64 * 1024
PASSPHRASE_VARIABLE = "EXPOSURE_PASSPHRASE"
# Passphrases shorter than this get a warning when sealing.
SHORT_PASSPHRASE = 12


@dataclass(frozen=True)
class ScryptParams:
    """scrypt's cost: N = 2**log2_n, block size r, parallelism p; memory is 128·N·r bytes."""

    log2_n: int = 17
    r: int = 8
    p: int = 1

    @property
    def memory(self) -> int:
        """Bytes scrypt needs."""
        return 128 * (1 << self.log2_n) * self.r

    @property
    def work(self) -> int:
        """Relative work: N·r·p."""
        return (1 << self.log2_n) * self.r * self.p


# 2**17 x 8 (128 MiB, about half a second here) is the default for files at rest.
DEFAULT_PARAMS = ScryptParams()
# Bounds on what a header may ask for, so a hostile file cannot make scrypt eat the machine:
# at most 256 MiB and 4x the default work. Below 2**10 a file is hardly protected at all.
MIN_LOG2_N = 10
MAX_LOG2_N = 18
MAX_R = 16
MAX_P = 4
MAX_MEMORY = 256 * 1024**2
MAX_WORK = 4 * DEFAULT_PARAMS.work


def check_params(params: ScryptParams) -> None:
    """Refuse scrypt parameters outside the bounds this version reads and writes."""
    if not MIN_LOG2_N <= params.log2_n <= MAX_LOG2_N:
        raise SealError(
            _("scrypt N = 2**{log2_n} is outside 2**{min_log2_n}..2**{max_log2_n}").format(
                log2_n=params.log2_n, min_log2_n=MIN_LOG2_N, max_log2_n=MAX_LOG2_N
            )
        )
    if not 1 <= params.r <= MAX_R or not 1 <= params.p <= MAX_P:
        raise SealError(
            _("scrypt r = {r}, p = {p} are outside 1..{max_r} and 1..{max_p}").format(
                r=params.r, p=params.p, max_r=MAX_R, max_p=MAX_P
            )
        )
    if params.memory > MAX_MEMORY or params.work > MAX_WORK:
        raise SealError(
            _(
                "scrypt N = 2**{log2_n}, r = {r}, p = {p} ask for more than {mib} MiB or {work}x "
                "the default work"
            ).format(
                log2_n=params.log2_n,
                r=params.r,
                p=params.p,
                mib=MAX_MEMORY // 1024**2,
                work=MAX_WORK // DEFAULT_PARAMS.work,
            )
        )


def is_sealed(data: bytes) -> bool:
    """Whether bytes begin like a sealed file (of any version)."""
    return data.startswith(MAGIC)


def derive_key(passphrase: str, salt: bytes, params: ScryptParams) -> bytes:
    """The 32-byte key for a passphrase, salt and scrypt parameters."""
    check_params(params)
    secret = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt  # only when a key is needed

    kdf = Scrypt(salt=salt, length=32, n=1 << params.log2_n, r=params.r, p=params.p)
    return kdf.derive(secret)


class Passphrase:
    """Where the passphrase comes from: a file, EXPOSURE_PASSPHRASE, or a prompt — asked once.

    `prompt(confirm)` returns what the person typed (twice when `confirm`); without one, a
    missing passphrase is an error. Keys derived from it are kept for the life of the object,
    so reading the same sealed file again costs no second scrypt.
    """

    def __init__(
        self,
        *,
        file: str | Path | None = None,
        environ: Mapping[str, str] | None = None,
        prompt: Callable[[bool], str] | None = None,
        text: str | None = None,
    ):
        self.file = file
        self.environ = os.environ if environ is None else environ
        self.prompt = prompt
        self._text = text
        self._confirmed = text is not None
        self._keys: dict[tuple[bytes, ScryptParams], bytes] = {}

    def get(self, *, confirm: bool = False) -> str:
        """The passphrase; `confirm` (when sealing) asks twice if it has to prompt."""
        if self._text is not None and (self._confirmed or not confirm):
            return self._text
        if self.file is not None:
            self._text = _read_passphrase_file(Path(self.file))
        elif self.environ.get(PASSPHRASE_VARIABLE) is not None:
            self._text = self.environ[PASSPHRASE_VARIABLE]
            if not self._text:
                raise SealError(
                    _("{passphrase_variable} is set but empty").format(
                        passphrase_variable=PASSPHRASE_VARIABLE
                    )
                )
        elif self.prompt is not None:
            self._text = _utf8(self.prompt(confirm), "the passphrase typed")
            if not self._text:
                raise SealError(_("the passphrase is empty"))
            self._confirmed = (
                confirm  # typed once may be mistyped: ask twice before sealing with it
            )
            return self._text
        else:
            raise SealError(
                _("no passphrase: set {passphrase_variable} or use --passphrase-file").format(
                    passphrase_variable=PASSPHRASE_VARIABLE
                )
            )
        self._confirmed = True
        return _utf8(self._text, PASSPHRASE_VARIABLE if self.file is None else str(self.file))

    def key(self, salt: bytes, params: ScryptParams) -> bytes:
        """The key for this salt and these parameters (derived once)."""
        found = self._keys.get((salt, params))
        if found is None:
            found = self._keys[(salt, params)] = derive_key(self.get(), salt, params)
        return found

    def verified(self) -> None:
        """Mark the passphrase as right (it opened a sealed file): no need to ask it twice."""
        self._confirmed = True


def _utf8(text: str, where: str) -> str:
    """The passphrase if it is text; bytes that are not UTF-8 (kept by the system as lone
    surrogates) would give a key that no prompt can type again, so they are refused."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise SealError(
            _("{where}: the passphrase is not UTF-8 text").format(where=where)
        ) from None
    return text


def _read_passphrase_file(path: Path) -> str:
    try:
        raw = read_bounded(
            path, MAX_PASSPHRASE_BYTES, "a passphrase file", missing="no such passphrase file"
        )
    except FileProblem as problem:
        raise SealError(_("{path}: {reason}").format(path=path, reason=problem.reason)) from None
    if len(raw) > MAX_PASSPHRASE_BYTES:
        raise SealError(
            _("{path}: a passphrase file holds one line, not {kib} KiB or more").format(
                path=path, kib=MAX_PASSPHRASE_BYTES // 1024
            )
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SealError(
            _("{path}: the passphrase file is not UTF-8 text").format(path=path)
        ) from None
    # One trailing line break is the file's, not the passphrase's.
    for ending in ("\r\n", "\n"):
        if text.endswith(ending):
            text = text[: -len(ending)]
            break
    if not text:
        raise SealError(_("{path}: the passphrase file is empty").format(path=path))
    return text


def seal(plaintext: bytes, passphrase: Passphrase, params: ScryptParams | None = None) -> bytes:
    """Encrypt and authenticate `plaintext` under the passphrase (DEFAULT_PARAMS unless given)."""
    params = params or DEFAULT_PARAMS
    check_params(params)
    if len(plaintext) > MAX_SEALED_BYTES:
        raise SealError(
            _("is larger than {gib} GiB; only smaller files are sealed").format(
                gib=MAX_SEALED_BYTES // 1024**3
            )
        )
    salt = os.urandom(SALT_BYTES)
    nonce = os.urandom(NONCE_BYTES)
    header = MAGIC + bytes([VERSION, params.log2_n, params.r, params.p]) + salt + nonce
    key = derive_key(passphrase.get(confirm=True), salt, params)
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

    return header + ChaCha20Poly1305(key).encrypt(nonce, plaintext, header)


def read_header(data: bytes) -> tuple[ScryptParams, bytes, bytes]:
    """The scrypt parameters, salt and nonce of a sealed file, refusing unknown or hostile ones."""
    if not is_sealed(data):
        raise SealError(_("is not a sealed file"))
    if len(data) < len(MAGIC) + 1:
        raise SealError(_("is cut short: its header is incomplete"))
    version = data[len(MAGIC)]
    if version != VERSION:
        raise SealError(
            _(
                "is sealed in format version {version}, which this version of Exposure cannot "
                "read (it reads version {version2})"
            ).format(version=version, version2=VERSION)
        )
    if len(data) < OVERHEAD:
        raise SealError(_("is cut short: its header is incomplete"))
    at = len(MAGIC) + 1
    params = ScryptParams(log2_n=data[at], r=data[at + 1], p=data[at + 2])
    try:
        check_params(params)
    except SealError as exc:
        raise SealError(
            _("has a header this version of Exposure refuses: {exc}").format(exc=exc)
        ) from None
    at += 3
    salt = data[at : at + SALT_BYTES]
    nonce = data[at + SALT_BYTES : at + SALT_BYTES + NONCE_BYTES]
    return params, salt, nonce


def unseal(data: bytes, passphrase: Passphrase) -> bytes:
    """Check and decrypt a sealed file's bytes; a wrong passphrase or any change is refused."""
    if len(data) > MAX_SEALED_BYTES + OVERHEAD:
        raise SealError(
            _("is larger than {gib} GiB; not a file Exposure sealed").format(
                gib=MAX_SEALED_BYTES // 1024**3
            )
        )
    params, salt, nonce = read_header(data)
    header = data[:HEADER_BYTES]
    key = passphrase.key(salt, params)
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

    try:
        # A view, not a slice: a slice would copy the whole ciphertext once more.
        plaintext = ChaCha20Poly1305(key).decrypt(nonce, memoryview(data)[HEADER_BYTES:], header)
    except InvalidTag:
        raise SealError(
            _("cannot unseal: wrong passphrase, or the file was changed after sealing")
        ) from None
    passphrase.verified()
    return plaintext


def read_file(path: str | Path) -> bytes:
    """A file's bytes for sealing or unsealing, refusing folders, missing and huge files."""
    target = Path(path)
    try:
        data = read_bounded(target, MAX_SEALED_BYTES + OVERHEAD)
    except FileProblem as problem:
        raise SealError(
            _("{target}: {reason}").format(target=target, reason=problem.reason)
        ) from None
    if len(data) > MAX_SEALED_BYTES + OVERHEAD:
        raise SealError(
            _("{target}: is larger than {gib} GiB; only smaller files are sealed").format(
                target=target, gib=MAX_SEALED_BYTES // 1024**3
            )
        )
    return data


def unseal_file(path: str | Path, passphrase: Passphrase, data: bytes | None = None) -> bytes:
    """The plaintext of a sealed file (its bytes, if already read), in memory; failures name it."""
    if data is None:
        data = read_file(path)
    try:
        return unseal(data, passphrase)
    except SealError as exc:
        raise SealError(_("{path}: {exc}").format(path=path, exc=exc)) from None


def is_short(passphrase: str) -> bool:
    """Whether a passphrase is too short to resist guessing by whoever holds a sealed file."""
    return len(passphrase) < SHORT_PASSPHRASE
