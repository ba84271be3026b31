"""HTTP Signatures (draft-cavage-12): our signer and verifier against each other, against bovine's independent
implementation both ways, and the requests they must refuse."""

from __future__ import annotations

import asyncio
import concurrent.futures
import base64
import re
from datetime import datetime, timedelta, timezone

import pytest
from bovine.crypto.http_signature import build_signature
from bovine.crypto.signature_checker import SignatureChecker
from bovine.crypto.types import CryptographicIdentifier, CryptographicSecret

from cop.federation.keys import new_key_pair
from cop.federation.signatures import (
    SignatureError,
    SignatureParams,
    body_digest,
    http_date,
    parse_signature_header,
    sign_request,
    verify_request,
)

PUBLIC, PRIVATE = new_key_pair()
OTHER_PUBLIC, _OTHER_PRIVATE = new_key_pair()
KEY_ID = "https://one.example/agencies/leeds#main-key"
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)
BODY = b'{"type":"Follow","actor":"https://one.example/agencies/leeds"}'
INBOX = "https://two.example/agencies/york/inbox"


def signed_post(**changes: object) -> dict[str, str]:
    return sign_request("POST", INBOX, key_id=KEY_ID, private_key_pem=PRIVATE, body=BODY,
                        headers={"Content-Type": "application/activity+json"}, now=NOW, **changes)


def verify(headers: dict[str, str], *, method: str = "POST", path: str = "/agencies/york/inbox", body: bytes | None = BODY,
           key: str = PUBLIC, now: datetime = NOW) -> None:
    signature = headers.get("Signature") or headers["signature"]
    verify_request(method, path, headers, body, parse_signature_header(signature), key, now=now)


def bovine_verifies(method: str, url: str, headers: dict[str, str], body: bytes | None, public_pem: str = PUBLIC) -> str | None:
    async def key_for(key_id: str) -> CryptographicIdentifier:
        return CryptographicIdentifier.from_pem(public_pem, "https://one.example/agencies/leeds")

    async def read_body() -> bytes:
        return body or b""

    checker = SignatureChecker(key_for)
    # A thread of its own: in a process that has driven the browser, this thread already runs an event loop.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, checker.validate_signature(method, url, {k.lower(): v for k, v in headers.items()}, read_body)).result()


# ---------------------------------------------------------------- our own round trip


def test_a_signed_post_carries_host_date_digest_and_a_signature_over_them() -> None:
    headers = signed_post()
    assert headers["Host"] == "two.example"
    assert headers["Date"] == "Sat, 01 Mar 2025 12:00:00 GMT"
    assert headers["Digest"] == body_digest(BODY)
    assert headers["Content-Type"] == "application/activity+json"
    params = parse_signature_header(headers["Signature"])
    assert params.key_id == KEY_ID and params.algorithm == "rsa-sha256"
    assert params.headers == ("(request-target)", "host", "date", "digest")
    verify(headers)


def test_the_digest_is_sha256_in_base64() -> None:
    assert body_digest(b"moo") == "SHA-256=R9+ukoir89XSJSq/sL1qyWYmN9ZG5t+dXSdLwzbierw="


def test_a_get_signs_the_query_string_and_no_digest() -> None:
    headers = sign_request("GET", "http://two.example:8080/actor?page=2", key_id=KEY_ID, private_key_pem=PRIVATE, now=NOW)
    assert "Digest" not in headers and headers["Host"] == "two.example:8080"
    assert parse_signature_header(headers["Signature"]).headers == ("(request-target)", "host", "date")
    verify(headers, method="GET", path="/actor?page=2", body=None)
    with pytest.raises(SignatureError, match="does not match"):
        verify(headers, method="GET", path="/actor?page=3", body=None)


def test_the_default_port_is_left_out_of_host() -> None:
    headers = sign_request("GET", "https://two.example:443/actor", key_id=KEY_ID, private_key_pem=PRIVATE, now=NOW)
    assert headers["Host"] == "two.example"


def test_header_names_are_matched_without_regard_to_case() -> None:
    headers = {name.upper(): value for name, value in signed_post().items()}
    headers["Signature"] = headers["SIGNATURE"]
    verify(headers)


def test_hs2019_is_verified_as_rsa_sha256() -> None:
    headers = signed_post()
    headers["Signature"] = headers["Signature"].replace('algorithm="rsa-sha256"', 'algorithm="hs2019"')
    verify(headers)


def test_hs2019_may_sign_created_instead_of_date() -> None:
    created = int(NOW.timestamp())
    message = "\n".join([
        "(request-target): post /agencies/york/inbox", "host: two.example", f"(created): {created}", f"digest: {body_digest(BODY)}",
    ])
    secret = CryptographicSecret.from_pem(KEY_ID, PRIVATE)
    signature = secret.sign(message)
    headers = {"Host": "two.example", "Digest": body_digest(BODY), "Signature": (
        f'keyId="{KEY_ID}",algorithm="hs2019",created={created},headers="(request-target) host (created) digest",signature="{signature}"'
    )}
    verify(headers)
    with pytest.raises(SignatureError, match="12 hours old"):
        verify(headers, now=NOW + timedelta(hours=13))


@pytest.mark.parametrize("name", ["created", "expires"])
def test_a_time_past_any_calendar_is_a_malformed_header(name: str) -> None:
    header = f'keyId="{KEY_ID}",algorithm="hs2019",{name}=999999999999,headers="(request-target) host (created)",signature="AAAA"'
    with pytest.raises(SignatureError, match="not a time") as caught:
        parse_signature_header(header)
    assert caught.value.status == 400


def test_a_header_sent_twice_is_signed_as_its_values_joined() -> None:
    from werkzeug.datastructures import Headers

    message = "\n".join(["(request-target): get /actor", "host: two.example", f"date: {http_date(NOW)}", "accept: a, b"])
    signature = CryptographicSecret.from_pem(KEY_ID, PRIVATE).sign(message)
    headers = Headers([("Host", "two.example"), ("Date", http_date(NOW)), ("Accept", "a"), ("Accept", "b")])
    headers.add("Signature", f'keyId="{KEY_ID}",algorithm="rsa-sha256",headers="(request-target) host date accept",signature="{signature}"')
    verify_request("GET", "/actor", headers, None, parse_signature_header(headers["Signature"]), PUBLIC, now=NOW)


# ---------------------------------------------------------------- against bovine


def test_bovine_verifies_our_signed_post() -> None:
    url = "https://two.example/agencies/york/inbox"
    headers = sign_request("POST", url, key_id=KEY_ID, private_key_pem=PRIVATE, body=BODY)
    assert bovine_verifies("POST", url, headers, BODY) == "https://one.example/agencies/leeds"
    # The same check refuses what it should: it is not a verifier that says yes to everything.
    assert bovine_verifies("POST", url, headers, BODY + b" ") is None
    assert bovine_verifies("POST", url, headers, BODY, OTHER_PUBLIC) is None


def test_bovine_verifies_our_signed_get() -> None:
    # bovine leaves the query out of (request-target) on GETs, so the cross-check uses a path without one.
    url = "https://two.example/agencies/york"
    headers = sign_request("GET", url, key_id=KEY_ID, private_key_pem=PRIVATE, headers={"Accept": "application/activity+json"})
    assert bovine_verifies("GET", url, headers, None) == "https://one.example/agencies/leeds"
    assert bovine_verifies("GET", "https://two.example/agencies/leeds", headers, None) is None


def bovine_signed(method: str, host: str, target: str, body: bytes | None, *, digest_prefix: str = "SHA-256") -> dict[str, str]:
    from bovine.crypto.helper import content_digest_sha256

    date = http_date(datetime.now(timezone.utc))
    helper = build_signature(host, method, target).with_field("date", date)
    if body is not None:
        helper.with_field("digest", content_digest_sha256(body, prefix=digest_prefix)).with_field("content-type", "application/activity+json")
    else:
        helper.with_field("accept", "application/activity+json")
    return {**helper.headers, "signature": helper.sign_for_http_draft(CryptographicSecret.from_pem(KEY_ID, PRIVATE))}


@pytest.mark.parametrize("digest_prefix", ["SHA-256", "sha-256"])
def test_we_verify_bovines_signed_post(digest_prefix: str) -> None:
    headers = bovine_signed("post", "two.example", "/agencies/york/inbox", BODY, digest_prefix=digest_prefix)
    assert parse_signature_header(headers["signature"]).headers == ("(request-target)", "host", "date", "digest", "content-type")
    verify(headers, now=datetime.now(timezone.utc))
    with pytest.raises(SignatureError, match="Digest header does not match"):
        verify(headers, body=BODY.replace(b"Follow", b"Block"), now=datetime.now(timezone.utc))


def test_we_verify_bovines_signed_get() -> None:
    headers = bovine_signed("get", "two.example", "/agencies/york", None)
    verify(headers, method="GET", path="/agencies/york", body=None, now=datetime.now(timezone.utc))
    with pytest.raises(SignatureError, match="does not match the request"):
        verify(headers, method="GET", path="/agencies/leeds", body=None, now=datetime.now(timezone.utc))


# ---------------------------------------------------------------- refusals


def test_a_changed_body_is_refused_by_its_digest() -> None:
    with pytest.raises(SignatureError, match="Digest header does not match") as caught:
        verify(signed_post(), body=BODY + b" ")
    assert caught.value.status == 401


def test_a_digest_changed_with_the_body_breaks_the_signature() -> None:
    headers = signed_post()
    headers["Digest"] = body_digest(BODY + b" ")
    with pytest.raises(SignatureError, match="does not match the request"):
        verify(headers, body=BODY + b" ")


def test_a_changed_path_or_method_is_refused() -> None:
    with pytest.raises(SignatureError, match="does not match the request"):
        verify(signed_post(), path="/inbox")
    with pytest.raises(SignatureError, match="does not match the request"):
        verify(signed_post(), method="PUT")


def test_a_changed_host_is_refused() -> None:
    headers = signed_post()
    headers["Host"] = "three.example"
    with pytest.raises(SignatureError, match="does not match the request"):
        verify(headers)


def test_another_key_is_refused() -> None:
    with pytest.raises(SignatureError, match="does not match the request") as caught:
        verify(signed_post(), key=OTHER_PUBLIC)
    assert caught.value.status == 401


@pytest.mark.parametrize(("offset", "message"), [
    (timedelta(hours=12, minutes=1), "more than 12 hours old"),
    (-timedelta(hours=1, minutes=1), "more than an hour ahead"),
])
def test_a_date_outside_the_window_is_refused(offset: timedelta, message: str) -> None:
    with pytest.raises(SignatureError, match=message):
        verify(signed_post(), now=NOW + offset)


def test_a_date_inside_the_window_is_accepted() -> None:
    verify(signed_post(), now=NOW + timedelta(hours=11, minutes=59))
    verify(signed_post(), now=NOW - timedelta(minutes=59))


def test_a_date_that_is_not_a_date_is_refused() -> None:
    headers = signed_post()
    headers["Date"] = "yesterday"
    with pytest.raises(SignatureError, match="not a valid HTTP date"):
        verify(headers)


def _signature_over(names: str) -> str:
    return f'keyId="{KEY_ID}",algorithm="rsa-sha256",headers="{names}",signature="{base64.b64encode(b"x" * 256).decode()}"'


@pytest.mark.parametrize(("names", "missing"), [
    ("host date digest", "(request-target)"),
    ("(request-target) date digest", "host"),
    ("(request-target) host digest", "date"),
    ("(request-target) host date", "digest"),
])
def test_a_signature_that_leaves_out_a_required_header_is_refused(names: str, missing: str) -> None:
    headers = {**signed_post(), "Signature": _signature_over(names)}
    with pytest.raises(SignatureError, match=rf"does not cover {re.escape(missing)}\.") as caught:
        verify(headers)
    assert caught.value.status == 401


def test_a_get_needs_no_digest_but_a_body_does() -> None:
    headers = sign_request("GET", INBOX, key_id=KEY_ID, private_key_pem=PRIVATE, now=NOW)
    verify(headers, method="GET", body=None)
    with pytest.raises(SignatureError, match="does not cover digest"):
        verify(headers, method="POST", body=BODY)


def test_a_signed_header_that_was_not_sent_is_refused() -> None:
    headers = signed_post()
    del headers["Digest"]
    with pytest.raises(SignatureError, match="signed header digest was not sent"):
        verify(headers)


def test_an_unknown_algorithm_is_refused() -> None:
    headers = signed_post()
    headers["Signature"] = headers["Signature"].replace("rsa-sha256", "hmac-sha256")
    with pytest.raises(SignatureError, match="hmac-sha256 is not one checked here"):
        verify(headers)


def test_a_key_that_is_not_rsa_is_refused() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    ed_public = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    with pytest.raises(SignatureError, match="not an RSA key"):
        verify(signed_post(), key=ed_public)
    with pytest.raises(SignatureError, match="cannot be read"):
        verify(signed_post(), key="not a key")


def test_a_digest_without_sha256_is_refused() -> None:
    headers = signed_post()
    headers["Digest"] = "MD5=abc"
    with pytest.raises(SignatureError, match="no SHA-256 digest"):
        verify(headers)


# ---------------------------------------------------------------- reading the header


def test_the_header_is_read_into_its_parts() -> None:
    params = parse_signature_header(
        'keyId="https://a.example/u#k", algorithm="RSA-SHA256", headers="(request-target) Host Date", signature="YWJj"'
    )
    assert params == SignatureParams(key_id="https://a.example/u#k", algorithm="rsa-sha256",
                                     headers=("(request-target)", "host", "date"), signature=b"abc")


def test_an_absent_algorithm_means_hs2019() -> None:
    assert parse_signature_header('keyId="k",headers="date",signature="YWJj"').algorithm == "hs2019"


@pytest.mark.parametrize("value", [
    'keyId="k",signature="not base64!"',
    'keyId="k"',
    'signature="YWJj"',
    'keyId="k",keyId="j",signature="YWJj"',
    'keyId="k" signature="YWJj"',
    'keyId="k",signature="YWJj",created=soon',
    'keyId="k",signature="YWJj",headers=""',
    "garbage",
])
def test_a_malformed_header_is_a_400(value: str) -> None:
    with pytest.raises(SignatureError) as caught:
        parse_signature_header(value)
    assert caught.value.status == 400


def test_an_empty_header_is_a_401() -> None:
    with pytest.raises(SignatureError, match="not signed") as caught:
        parse_signature_header("  ")
    assert caught.value.status == 401
