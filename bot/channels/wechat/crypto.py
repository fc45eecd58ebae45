"""Checking and opening WeChat's callbacks (the WXBizMsgCrypt scheme).

WeCom, and an Official Account in 安全模式, sign each callback with SHA-1 over the
Token, timestamp, nonce and ciphertext, and encrypt the XML with AES-256-CBC under
EncodingAESKey, the plaintext ending in the corp id or AppID. An Official Account
also signs every callback, plain ones included, over the Token, timestamp and
nonce alone. wechatpy does the AES; the checks it leaves
out are done here: a constant-time signature comparison, a clock-skew bound,
refusing a replayed request, and errors that never fail open. Every refusal is
one :class:`CallbackRejected` whose reason names no secret, so it can be
logged and answered as it is.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable

from wechatpy.utils import WeChatSigner
from wechatpy.work.crypto import PrpCrypto
from wechatpy.work.exceptions import InvalidCorpIdException

#: A 微信客服 callback is a few hundred bytes; anything near this is not WeCom.
MAX_BODY_BYTES = 64 * 1024


class CallbackRejected(Exception):
    """A callback refused: ``status`` is the HTTP answer (403 forged, stale or
    replayed; 400 malformed), ``reason`` a sentence safe to log."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"{status}: {reason}")
        self.status, self.reason = status, reason


def signature(token: str, *parts: str) -> str:
    """WeCom's signature: SHA-1 over the sorted, concatenated values."""
    signer = WeChatSigner()
    signer.add_data(token, *parts)
    return signer.signature


def aes_key(encoding_aes_key: str) -> bytes:
    """The 32-byte AES key from the 43-character EncodingAESKey."""
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(encoding_aes_key) != 43 or len(key) != 32:
        raise ValueError("EncodingAESKey must be 43 characters, base64 of 32 bytes")
    return key


class CallbackCrypto:
    """Verifies and decrypts callbacks for one receive id (the corp id for WeCom)."""

    def __init__(
        self,
        token: str,
        encoding_aes_key: str,
        receive_id: str,
        max_skew_seconds: int = 300,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._token = token
        #: None in plain mode (an Official Account without EncodingAESKey).
        self._key = aes_key(encoding_aes_key) if encoding_aes_key else None
        self.encrypted = self._key is not None
        self.receive_id = receive_id
        self.max_skew_seconds = max_skew_seconds
        self._now = now
        #: (signature, nonce, timestamp) → when it may be forgotten.
        self._seen: dict[tuple[str, str, str], float] = {}

    # -- receiving --------------------------------------------------------------
    def verify_url(self, msg_signature: str, timestamp: str, nonce: str, echostr: str) -> str:
        """The URL check WeCom makes when the callback is saved: the decrypted
        ``echostr``, to be answered as the plain response body."""
        return self.decrypt(msg_signature, timestamp, nonce, echostr)

    def open(self, msg_signature: str, timestamp: str, nonce: str, body: bytes) -> dict[str, str]:
        """A POSTed callback: its decrypted XML as ``{tag: text}``."""
        outer = parse_xml(body, "the callback body")
        encrypted = outer.get("Encrypt", "")
        if not encrypted:
            raise CallbackRejected(400, "the callback body has no Encrypt element")
        plaintext = self.decrypt(msg_signature, timestamp, nonce, encrypted)
        return parse_xml(plaintext.encode("utf-8"), "the decrypted message")

    def check_plain(self, plain_signature: str, timestamp: str, nonce: str) -> None:
        """An Official Account's ``signature`` (over Token, timestamp and nonce), with
        the clock and replay checks when the callback is not encrypted."""
        self._check_signature(plain_signature, timestamp, nonce)
        if not self.encrypted:
            self._check_fresh(plain_signature, timestamp, nonce)

    def decrypt(self, msg_signature: str, timestamp: str, nonce: str, encrypted: str) -> str:
        """Signature, clock and replay checked, then the ciphertext opened."""
        if self._key is None:
            raise CallbackRejected(400, "an encrypted callback, but no EncodingAESKey is set")
        self._check_signature(msg_signature, timestamp, nonce, encrypted)
        self._check_fresh(msg_signature, timestamp, nonce)
        try:
            return PrpCrypto(self._key).decrypt(encrypted, self.receive_id)
        except InvalidCorpIdException:
            raise CallbackRejected(403, "the message is addressed to another receive id") from None
        except Exception:  # any failure of the cipher or the layout is the same answer
            raise CallbackRejected(400, "the ciphertext does not decrypt") from None

    def _check_signature(self, given: str, *parts: str) -> None:
        expected = signature(self._token, *parts)
        if not hmac.compare_digest(expected.encode(), (given or "").lower().encode()):
            raise CallbackRejected(403, "signature mismatch")

    def _check_fresh(self, msg_signature: str, timestamp: str, nonce: str) -> None:
        try:
            sent = int(timestamp)
        except ValueError:
            raise CallbackRejected(400, "timestamp is not a number") from None
        now = self._now()
        if abs(now - sent) > self.max_skew_seconds:
            raise CallbackRejected(
                403,
                f"timestamp is {int(now - sent)} s from our clock (more than "
                f"{self.max_skew_seconds} s)",
            )
        self._seen = {key: until for key, until in self._seen.items() if until >= now}
        key = (msg_signature.lower(), nonce, timestamp)
        if key in self._seen:
            raise CallbackRejected(403, "replayed callback (signature and nonce seen before)")
        self._seen[key] = sent + self.max_skew_seconds

    # -- sending (passive replies, and the fakes) ----------------------------------
    def encrypt(self, plaintext: str, timestamp: str, nonce: str) -> tuple[str, str]:
        """``(msg_signature, Encrypt)`` for a plaintext, as WeCom would send it."""
        if self._key is None:
            raise ValueError("plain mode: there is no EncodingAESKey to encrypt with")
        encrypted = PrpCrypto(self._key).encrypt(plaintext, self.receive_id).decode("ascii")
        return signature(self._token, timestamp, nonce, encrypted), encrypted


def parse_xml(data: bytes, what: str) -> dict[str, str]:
    """A flat ``{tag: text}`` of the root's children; no DTDs (no entity tricks)."""
    if len(data) > MAX_BODY_BYTES:
        raise CallbackRejected(400, f"{what} is too large")
    if b"<!DOCTYPE" in data.upper() or b"<!ENTITY" in data.upper():
        raise CallbackRejected(400, f"{what} declares a DTD")
    try:
        root = ElementTree.fromstring(data)
    except (ElementTree.ParseError, ValueError):
        raise CallbackRejected(400, f"{what} is not well-formed XML") from None
    return {child.tag: child.text or "" for child in root if len(child) == 0}
