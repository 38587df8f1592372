"""Passphrase sealing of scenario and result files: scrypt, ChaCha20-Poly1305, a versioned header.

A sealed file is a 48-byte header followed by the ciphertext:

    offset  size  field
    0       16    magic, b"EXPOSURE-SEALED\\n" (so `head -1` names what the file is)
    16      1     format version: 2 (written now) or 1 (still read)
    17      1     scrypt log2(N)
    18      1     scrypt r
    19      1     scrypt p
    20      16    scrypt salt (random)
    36      12    ChaCha20-Poly1305 nonce (random): the base of every chunk's nonce in version 2
    48      ...   the ciphertext

The key is scrypt(passphrase in UTF-8, NFC, salt, N, r, p), 32 bytes. Every file gets a fresh
salt and therefore a fresh key. The whole header is the associated data of every encryption, so
changing any byte of it is detected.

Version 2 cuts the plaintext into chunks of 64 KiB (the last one shorter, possibly empty; an
empty file is one empty chunk), each encrypted and authenticated on its own, ciphertext then
16-byte tag, so that a file of any size is sealed and opened in a few hundred KiB of memory. The
nonce of chunk i (from 0) is the header's nonce XOR the 12-byte big-endian number i·256 + last,
where last is 1 for the final chunk and 0 for the others (the STREAM construction): a chunk
moved, dropped, repeated or taken from another file fails its tag, and so does a file cut at a
chunk boundary (its new last chunk was not sealed as the last) or extended after its last one.

Version 1 (read only) is the whole file encrypted at once with the header's nonce, then one tag.
It is checked in bounded memory too: its tag is computed over the file (ChaCha20 and Poly1305 as
RFC 8439 combines them) before anything is decrypted.
"""

from __future__ import annotations

import io
import os
import struct
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from simulator.errors import SealError
from simulator.files import FileProblem, open_regular, read_bounded
from simulator.i18n import _

MAGIC = b"EXPOSURE-SEALED\n"
VERSION = 2  # chunked; written now
WHOLE_VERSION = 1  # the whole file in one piece; still read
SALT_BYTES = 16
NONCE_BYTES = 12
TAG_BYTES = 16
HEADER_BYTES = len(MAGIC) + 4 + SALT_BYTES + NONCE_BYTES
# The least a sealed file adds to its content: the header and one tag.
OVERHEAD = HEADER_BYTES + TAG_BYTES
CHUNK_BYTES = 64 * 1024
# Version 1 files were at most this large, and so are the bytes sealed in memory (results).
MAX_SEALED_BYTES = 1024**3
# Blocks read at once while checking a version 1 file.
_READ_BYTES = 1024 * 1024
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


def sealed_size(size: int) -> int:
    """The size of `size` bytes once sealed: the header, the content and a tag per chunk."""
    chunks = max(1, -(-size // CHUNK_BYTES))
    return HEADER_BYTES + size + chunks * TAG_BYTES


def _chunk_nonce(base: bytes, index: int, last: bool) -> bytes:
    """The nonce of chunk `index`: the header's nonce XOR index·256 + last (see the module)."""
    return (int.from_bytes(base, "big") ^ (index << 8 | int(last))).to_bytes(NONCE_BYTES, "big")


def _read_full(source: BinaryIO, size: int) -> bytes:
    """`size` bytes, or fewer only at the end of the source (a pipe may give less at once)."""
    data = source.read(size)
    if len(data) == size or not data:
        return data
    parts = [data]
    got = len(data)
    while got < size:
        more = source.read(size - got)
        if not more:
            break
        parts.append(more)
        got += len(more)
    return b"".join(parts)


def seal_stream(
    source: BinaryIO, sink: BinaryIO, passphrase: Passphrase, params: ScryptParams | None = None
) -> int:
    """Seal everything `source` gives into `sink`, chunk by chunk; returns the bytes written.

    At most two chunks are held at once, whatever the size of the source.
    """
    params = params or DEFAULT_PARAMS
    check_params(params)
    salt = os.urandom(SALT_BYTES)
    nonce = os.urandom(NONCE_BYTES)
    header = MAGIC + bytes([VERSION, params.log2_n, params.r, params.p]) + salt + nonce
    key = derive_key(passphrase.get(confirm=True), salt, params)
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

    aead = ChaCha20Poly1305(key)
    sink.write(header)
    written = len(header)
    index = 0
    chunk = _read_full(source, CHUNK_BYTES)
    while True:
        # The next chunk is read first: only then is it known whether this one is the last.
        following = _read_full(source, CHUNK_BYTES) if len(chunk) == CHUNK_BYTES else b""
        last = not following
        sealed = aead.encrypt(_chunk_nonce(nonce, index, last), chunk, header)
        sink.write(sealed)
        written += len(sealed)
        if last:
            return written
        chunk = following
        index += 1


def seal(plaintext: bytes, passphrase: Passphrase, params: ScryptParams | None = None) -> bytes:
    """Encrypt and authenticate `plaintext` under the passphrase (DEFAULT_PARAMS unless given)."""
    check_params(params or DEFAULT_PARAMS)
    if len(plaintext) > MAX_SEALED_BYTES:
        raise SealError(
            _("is larger than {gib} GiB; only smaller files are sealed").format(
                gib=MAX_SEALED_BYTES // 1024**3
            )
        )
    sink = io.BytesIO()
    seal_stream(io.BytesIO(plaintext), sink, passphrase, params)
    return sink.getvalue()


@dataclass(frozen=True)
class _Header:
    version: int
    params: ScryptParams
    salt: bytes
    nonce: bytes
    raw: bytes


def _parse_header(data: bytes) -> _Header:
    """A sealed file's header (from its first bytes), refusing unknown or hostile ones."""
    if not is_sealed(data):
        raise SealError(_("is not a sealed file"))
    if len(data) < len(MAGIC) + 1:
        raise SealError(_("is cut short: its header is incomplete"))
    version = data[len(MAGIC)]
    if version not in (WHOLE_VERSION, VERSION):
        raise SealError(
            _(
                "is sealed in format version {version}, which this version of Exposure cannot "
                "read (it reads versions 1 to {version2})"
            ).format(version=version, version2=VERSION)
        )
    if len(data) < HEADER_BYTES:
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
    return _Header(version, params, bytes(salt), bytes(nonce), bytes(data[:HEADER_BYTES]))


def read_header(data: bytes) -> tuple[ScryptParams, bytes, bytes]:
    """The scrypt parameters, salt and nonce of a sealed file, refusing unknown or hostile ones."""
    header = _parse_header(data)
    if len(data) < OVERHEAD:
        raise SealError(_("is cut short: its header is incomplete"))
    return header.params, header.salt, header.nonce


def _refused() -> SealError:
    return SealError(_("cannot unseal: wrong passphrase, or the file was changed after sealing"))


def unseal_stream(source: BinaryIO, sink: BinaryIO | None, passphrase: Passphrase) -> int:
    """Check and decrypt a sealed file from `source` into `sink` (None: only check it).

    Returns the plain bytes. Only authenticated bytes reach `sink`, chunk by chunk, but a file
    changed after some good chunks is refused after those reached it: a caller writes to a
    temporary file and keeps it only if this returns (or checks first, then decrypts). A version
    1 file must be seekable: it is checked whole before anything is decrypted.
    """
    header = _parse_header(_read_full(source, HEADER_BYTES))
    key = passphrase.key(header.salt, header.params)
    if header.version == WHOLE_VERSION:
        start = source.tell()
        _whole_pass(source, None, key, header)
        source.seek(start)
        size = _whole_pass(source, sink, key, header)  # checked again: the file may have changed
    else:
        size = _chunked(source, sink, key, header)
    passphrase.verified()
    return size


def _chunked(source: BinaryIO, sink: BinaryIO | None, key: bytes, header: _Header) -> int:
    """Decrypt version 2 chunks one by one, each authenticated before it is written."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

    aead = ChaCha20Poly1305(key)
    full = CHUNK_BYTES + TAG_BYTES
    index = 0
    size = 0
    chunk = _read_full(source, full)
    while True:
        following = _read_full(source, full) if len(chunk) == full else b""
        last = not following
        try:
            plain = aead.decrypt(_chunk_nonce(header.nonce, index, last), chunk, header.raw)
        except InvalidTag:
            if index == 0:
                raise _refused() from None
            raise SealError(
                _(
                    "cannot unseal: the file was changed, cut or extended after sealing (after "
                    "{mib} MiB that were intact)"
                ).format(mib=size // 1024**2)
            ) from None
        if sink is not None:
            sink.write(plain)
        size += len(plain)
        if last:
            return size
        chunk = following
        index += 1


def _whole_pass(source: BinaryIO, sink: BinaryIO | None, key: bytes, header: _Header) -> int:
    """Check (and, given a sink, decrypt) a version 1 file's body in blocks.

    ChaCha20-Poly1305 as RFC 8439 builds it: the Poly1305 key is the first 32 bytes of the
    keystream at block 0, the text is encrypted from block 1, and the tag covers the associated
    data and the ciphertext, each padded to 16 bytes, then both lengths.
    """
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
    from cryptography.hazmat.primitives.poly1305 import Poly1305

    stream = Cipher(algorithms.ChaCha20(key, bytes(4) + header.nonce), None).encryptor()
    mac = Poly1305(stream.update(bytes(64))[:32])
    mac.update(header.raw + bytes(-len(header.raw) % 16))
    body = (1).to_bytes(4, "little") + header.nonce
    decrypt = None if sink is None else Cipher(algorithms.ChaCha20(key, body), None).decryptor()
    tail = b""
    size = 0
    while block := source.read(_READ_BYTES):
        held = tail + block
        text, tail = held[:-TAG_BYTES], held[-TAG_BYTES:]
        size += len(text)
        if size > MAX_SEALED_BYTES:
            raise SealError(
                _("is larger than {gib} GiB; not a file Exposure sealed").format(
                    gib=MAX_SEALED_BYTES // 1024**3
                )
            )
        mac.update(text)
        if decrypt is not None and sink is not None:
            sink.write(decrypt.update(text))
    if len(tail) < TAG_BYTES:
        raise SealError(_("is cut short: its header is incomplete"))
    mac.update(bytes(-size % 16) + struct.pack("<QQ", len(header.raw), size))
    try:
        mac.verify(tail)
    except InvalidSignature:
        raise _refused() from None
    return size


def unseal(data: bytes, passphrase: Passphrase) -> bytes:
    """Check and decrypt a sealed file's bytes; a wrong passphrase or any change is refused."""
    if len(data) > sealed_size(MAX_SEALED_BYTES):
        raise SealError(
            _("is larger than {gib} GiB; not a file Exposure sealed").format(
                gib=MAX_SEALED_BYTES // 1024**3
            )
        )
    params, salt, nonce = read_header(data)
    header = data[:HEADER_BYTES]
    if data[len(MAGIC)] == VERSION:
        sink = io.BytesIO()
        unseal_stream(io.BytesIO(data), sink, passphrase)
        return sink.getvalue()
    key = passphrase.key(salt, params)
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

    try:
        # A view, not a slice: a slice would copy the whole ciphertext once more.
        plaintext = ChaCha20Poly1305(key).decrypt(nonce, memoryview(data)[HEADER_BYTES:], header)
    except InvalidTag:
        raise _refused() from None
    passphrase.verified()
    return plaintext


def open_file(path: str | Path) -> BinaryIO:
    """A regular file opened for sealing or unsealing; folders, FIFOs and missing files refused."""
    target = Path(path)
    try:
        return open_regular(target)
    except FileProblem as problem:
        raise SealError(
            _("{target}: {reason}").format(target=target, reason=problem.reason)
        ) from None


def read_file(path: str | Path) -> bytes:
    """A file's bytes for sealing or unsealing, refusing folders, missing and huge files."""
    target = Path(path)
    try:
        data = read_bounded(target, sealed_size(MAX_SEALED_BYTES))
    except FileProblem as problem:
        raise SealError(
            _("{target}: {reason}").format(target=target, reason=problem.reason)
        ) from None
    if len(data) > sealed_size(MAX_SEALED_BYTES):
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
