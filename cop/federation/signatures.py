"""HTTP Signatures as the fediverse uses them: draft-cavage-http-signatures-12 with RSA-SHA256.

Mastodon, Mobilizon and Lemmy sign every delivery and (with authorised fetch) every GET this way. No
well-kept synchronous Python library implements the cavage draft (the maintained ones do RFC 9421, which
the fediverse has not moved to), so this module does it on the ``cryptography`` package: it is small, and
every rule below is one that Mastodon applies too. Pure functions: no Flask, no database.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from typing import Mapping, Optional
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

#: How old a signed Date may be, and how far ahead of this server's clock: Mastodon's window.
MAX_AGE = timedelta(hours=12)
MAX_AHEAD = timedelta(hours=1)
#: "hs2019" leaves the algorithm to the key; with an RSA key it means RSA-SHA256, as Mastodon reads it.
ALGORITHMS = frozenset({"rsa-sha256", "hs2019"})

_PARAMETER = re.compile(r'\s*([A-Za-z]+)\s*=\s*(?:"([^"]*)"|([^",\s]*))\s*(?:,|$)')


class SignatureError(Exception):
    """A request whose signature is missing, malformed or wrong; the message is written for a person to read."""

    def __init__(self, message: str, status: int = 401) -> None:
        super().__init__(message)
        #: 401 for a signature that is missing or does not verify, 400 for one that cannot even be read.
        self.status = status


@dataclass(frozen=True)
class SignatureParams:
    """What a Signature header says: who signed, how, over which headers, and the signature itself."""

    key_id: str
    algorithm: str
    headers: tuple[str, ...]
    signature: bytes
    #: The ``created`` and ``expires`` parameters (seconds since the epoch), which hs2019 may sign instead of Date.
    created: Optional[int] = None
    expires: Optional[int] = None


def body_digest(body: bytes) -> str:
    """The Digest header for a body: ``SHA-256=<base64>``."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def http_date(moment: datetime) -> str:
    """A moment written as an HTTP Date header (IMF-fixdate, GMT)."""
    return format_datetime(moment.astimezone(timezone.utc), usegmt=True)


@functools.lru_cache(maxsize=256)
def _private_key(pem: str) -> rsa.RSAPrivateKey:
    # Loading checks the key, which costs more than signing: an actor's key is loaded once per process.
    key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("Only RSA keys sign requests here.")
    return key


@functools.lru_cache(maxsize=1024)
def _public_key(pem: str) -> rsa.RSAPublicKey:
    try:
        key = serialization.load_pem_public_key(pem.encode("utf-8"))
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        raise SignatureError("The signing actor's public key cannot be read.") from error
    if not isinstance(key, rsa.RSAPublicKey):
        raise SignatureError("The signing actor's key is not an RSA key, the only kind checked here.")
    return key


def check_public_key(pem: str) -> None:
    """Raise SignatureError unless a PEM text is an RSA public key that signatures can be checked with."""
    _public_key(pem)


def _host_header(url: str) -> str:
    """The Host header a client sends for a URL: the host, with the port only when it is not the scheme's default."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    return host if parts.port in (None, default) else f"{host}:{parts.port}"


def _path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _signing_string(names: tuple[str, ...], values: Mapping[str, str]) -> bytes:
    return "\n".join(f"{name}: {values[name]}" for name in names).encode("utf-8")


def sign_request(
    method: str,
    url: str,
    *,
    key_id: str,
    private_key_pem: str,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> dict[str, str]:
    """The headers to send with a request: the given ones plus Host, Date, Digest (with a body) and Signature.

    Signs ``(request-target) host date`` and ``digest`` when there is a body, with rsa-sha256.
    """
    values = {
        "(request-target)": f"{method.lower()} {_path_and_query(url)}",
        "host": _host_header(url),
        "date": http_date(now or datetime.now(timezone.utc)),
    }
    if body is not None:
        values["digest"] = body_digest(body)
    names = tuple(values)
    signature = _private_key(private_key_pem).sign(_signing_string(names, values), padding.PKCS1v15(), hashes.SHA256())
    sent = {name: value for name, value in (headers or {}).items() if name.lower() not in ("host", "date", "digest", "signature")}
    sent.update({"Host": values["host"], "Date": values["date"]})
    if "digest" in values:
        sent["Digest"] = values["digest"]
    sent["Signature"] = (
        f'keyId="{key_id}",algorithm="rsa-sha256",headers="{" ".join(names)}",'
        f'signature="{base64.b64encode(signature).decode("ascii")}"'
    )
    return sent


def parse_signature_header(value: str) -> SignatureParams:
    """Read a Signature header; SignatureError(400) when it cannot be read, (401) when it is empty."""
    if not value or not value.strip():
        raise SignatureError("The request is not signed.")
    found: dict[str, str] = {}
    position = 0
    text = value.strip()
    while position < len(text):
        match = _PARAMETER.match(text, position)
        if match is None or match.end() == position:
            raise SignatureError("The Signature header cannot be read.", 400)
        name = match.group(1).lower()
        if name in found:
            raise SignatureError(f"The Signature header names {name} twice.", 400)
        found[name] = match.group(2) if match.group(2) is not None else match.group(3)
        position = match.end()
    key_id, encoded = found.get("keyid", "").strip(), found.get("signature", "").strip()
    if not key_id or not encoded:
        raise SignatureError("The Signature header needs a keyId and a signature.", 400)
    try:
        signature = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("The signature in the Signature header is not valid base64.", 400) from None
    numbers: dict[str, Optional[int]] = {}
    for name in ("created", "expires"):
        raw = found.get(name)
        if raw is not None and not re.fullmatch(r"\d{1,10}", raw):
            raise SignatureError(f"The {name} parameter of the Signature header is not a time.", 400)
        numbers[name] = int(raw) if raw is not None else None
    # The draft's default when headers is left out; a bare Date-only signature then fails the checks below.
    names = tuple(found.get("headers", "(created)").lower().split())
    if not names:
        raise SignatureError("The Signature header signs no headers.", 400)
    return SignatureParams(
        key_id=key_id, algorithm=found.get("algorithm", "hs2019").strip().lower(), headers=names,
        signature=signature, created=numbers["created"], expires=numbers["expires"],
    )


def _header_values(headers: Mapping[str, str]) -> dict[str, str]:
    """Request headers by lower-case name; a header sent several times has its values joined with ", "."""
    joined: dict[str, list[str]] = {}
    getlist = getattr(headers, "getlist", None)
    for name in headers.keys():
        key = name.lower()
        if key in joined:
            continue
        values = getlist(name) if getlist is not None else [headers[name]]
        joined[key] = [str(value).strip() for value in values]
    return {name: ", ".join(values) for name, values in joined.items()}


def _check_digest(sent: str, body: bytes) -> None:
    """A Digest header must carry a SHA-256 of the body, and it must match."""
    ours = hashlib.sha256(body).digest()
    for part in sent.split(","):
        algorithm, _, encoded = part.strip().partition("=")
        if algorithm.strip().lower() != "sha-256":
            continue
        try:
            theirs = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise SignatureError("The Digest header is not valid base64.") from None
        if not hmac.compare_digest(theirs, ours):
            raise SignatureError("The Digest header does not match the body that was sent.")
        return
    raise SignatureError("The Digest header has no SHA-256 digest, the only kind checked here.")


def _check_moment(moment: datetime, now: datetime, what: str) -> None:
    if moment < now - MAX_AGE:
        raise SignatureError(f"The request's {what} is more than 12 hours old.")
    if moment > now + MAX_AHEAD:
        raise SignatureError(f"The request's {what} is more than an hour ahead of this server's clock.")


def verify_request(
    method: str,
    path_and_query: str,
    headers: Mapping[str, str],
    body: bytes | None,
    params: SignatureParams,
    public_key_pem: str,
    *,
    now: datetime | None = None,
) -> None:
    """Raise SignatureError unless the signature covers what it must, is fresh, matches the body, and verifies."""
    now = now or datetime.now(timezone.utc)
    if params.algorithm not in ALGORITHMS:
        raise SignatureError(f"The signature algorithm {params.algorithm} is not one checked here (rsa-sha256, hs2019).")
    signed = set(params.headers)
    sent = _header_values(headers)
    required = ["(request-target)", "host"]
    if params.algorithm == "hs2019" and "date" not in signed:
        required.append("(created)")
    else:
        required.append("date")
    if body:
        required.append("digest")
    missing = [name for name in required if name not in signed]
    if missing:
        raise SignatureError(f"The signature does not cover {', '.join(missing)}.")

    values: dict[str, str] = {"(request-target)": f"{method.lower()} {path_and_query}"}
    for name in params.headers:
        if name == "(request-target)":
            continue
        if name in ("(created)", "(expires)"):
            number = params.created if name == "(created)" else params.expires
            if number is None or params.algorithm != "hs2019":
                raise SignatureError(f"The signature covers {name} without giving it.", 400)
            values[name] = str(number)
        elif name.startswith("("):
            raise SignatureError(f"The signature covers {name}, which is not known here.", 400)
        elif name not in sent:
            raise SignatureError(f"The signed header {name} was not sent.")
        else:
            values[name] = sent[name]

    if "date" in signed:
        try:
            moment = parsedate_to_datetime(values["date"])
        except (TypeError, ValueError, IndexError):
            raise SignatureError("The Date header is not a valid HTTP date.") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        _check_moment(moment, now, "Date")
    if "(created)" in signed and params.created is not None:
        _check_moment(datetime.fromtimestamp(params.created, timezone.utc), now, "signature time (created)")
    if "(expires)" in signed and params.expires is not None and datetime.fromtimestamp(params.expires, timezone.utc) < now:
        raise SignatureError("The signature has expired.")
    if "digest" in sent:
        _check_digest(sent["digest"], body or b"")

    try:
        _public_key(public_key_pem).verify(
            params.signature, _signing_string(params.headers, values), padding.PKCS1v15(), hashes.SHA256()
        )
    except InvalidSignature:
        raise SignatureError("The signature does not match the request.") from None
