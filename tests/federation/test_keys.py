"""Actors' signing keys: RSA 2048 made once, kept, and one per owner even when two make it at once."""

from __future__ import annotations

import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from cop.agencies.models import Agency
from cop.extensions import db
from cop.federation import keys
from cop.federation.models import ActorKey
from cop.federation.signatures import parse_signature_header, sign_request, verify_request


def test_an_agency_key_is_rsa_2048_in_pem_and_signs_what_its_public_key_verifies(app, make_agency) -> None:
    agency_id = make_agency("leeds")
    with app.app_context():
        key = keys.agency_key(db.session.get(Agency, agency_id))
        db.session.commit()
        public = serialization.load_pem_public_key(key.public_key_pem.encode())
        private = serialization.load_pem_private_key(key.private_key_pem.encode(), password=None)
        assert isinstance(public, rsa.RSAPublicKey) and public.key_size == 2048
        assert public.public_numbers().e == 65537
        assert key.public_key_pem.startswith("-----BEGIN PUBLIC KEY-----")
        assert key.private_key_pem.startswith("-----BEGIN PRIVATE KEY-----")  # PKCS#8
        assert private.public_key().public_numbers() == public.public_numbers()
        assert (key.owner, key.agency_id) == (f"agency:{agency_id}", agency_id)
        headers = sign_request("GET", "https://a.example/x", key_id="k", private_key_pem=key.private_key_pem)
        verify_request("GET", "/x", headers, None, parse_signature_header(headers["Signature"]), key.public_key_pem)


def test_a_key_is_made_once_and_then_reused(app, make_agency, monkeypatch) -> None:
    leeds, york = make_agency("leeds"), make_agency("york")
    made = []
    real = keys.new_key_pair
    monkeypatch.setattr(keys, "new_key_pair", lambda: made.append(1) or real())
    with app.app_context():
        first = keys.agency_key(db.session.get(Agency, leeds)).public_key_pem
        db.session.commit()
    with app.app_context():
        assert keys.agency_key(db.session.get(Agency, leeds)).public_key_pem == first
        other = keys.agency_key(db.session.get(Agency, york)).public_key_pem
        instance = keys.instance_key()
        assert keys.instance_key() is instance
        db.session.commit()
        assert len({first, other, instance.public_key_pem}) == 3
        assert instance.owner == "instance" and instance.agency_id is None
    assert len(made) == 3


def test_a_key_made_meanwhile_by_another_process_wins_and_no_second_row_appears(app, monkeypatch) -> None:
    # Another worker stores the instance key between this one's lookup and its insert.
    with app.app_context():
        theirs_public, theirs_private = keys.new_key_pair()
        real = keys.new_key_pair

        def racing() -> tuple[str, str]:
            with db.engine.begin() as conn:
                conn.execute(sa.insert(ActorKey).values(owner="instance", public_key_pem=theirs_public, private_key_pem=theirs_private))
            return real()

        monkeypatch.setattr(keys, "new_key_pair", racing)
        key = keys.instance_key()
        db.session.commit()
        assert key.public_key_pem == theirs_public
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ActorKey)) == 1


def test_insert_unless_present_says_whether_it_inserted(app) -> None:
    # Key creation relies on it; PostgreSQL reports no row count for this statement, so it must not be read from that.
    from cop.extensions import insert_unless_present

    with app.app_context():
        values = {"owner": "agency:999", "public_key_pem": "p", "private_key_pem": "q"}
        assert insert_unless_present(ActorKey, values, "owner") is True
        assert insert_unless_present(ActorKey, {**values, "public_key_pem": "other"}, "owner") is False
        assert db.session.scalars(sa.select(ActorKey.public_key_pem)).all() == ["p"]
