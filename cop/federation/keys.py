"""The RSA key pairs this site's actors sign with: one per agency and one for the instance actor.

A key is made the first time it is needed and kept in the database, so every worker and host signs with
the same key and other servers' cached copies stay valid.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from cop.clock import utcnow
from cop.extensions import db
from cop.federation.models import ActorKey

if TYPE_CHECKING:
    from cop.agencies.models import Agency

log = logging.getLogger(__name__)

#: The size Mastodon uses and expects.
KEY_SIZE = 2048
INSTANCE_OWNER = "instance"


def new_key_pair() -> tuple[str, str]:
    """A fresh RSA 2048 key pair as PEM: (SubjectPublicKeyInfo public key, PKCS#8 private key)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    return public_pem, private_pem


def _stored_key(owner: str) -> ActorKey | None:
    return db.session.scalar(sa.select(ActorKey).where(ActorKey.owner == owner))


def _key_for(owner: str, agency_id: int | None) -> ActorKey:
    """The stored key of an owner, made now when there is none; two processes making it at once keep one.

    A new key is written and committed on a connection of its own, not in the caller's transaction: the caller
    may go on to sign a request to another server, which asks this site for the key before the caller's
    transaction ends, and must find it (and must not wait behind the caller's lock on SQLite).
    """
    key = _stored_key(owner)
    if key is not None:
        return key
    # Generating a key takes tens of milliseconds, so it is done only once a lookup has found none.
    public_pem, private_pem = new_key_pair()
    values = {"owner": owner, "agency_id": agency_id, "public_key_pem": public_pem, "private_key_pem": private_pem, "created_at": utcnow()}
    engine = db.session.get_bind()
    insert = (postgresql_insert if engine.dialect.name == "postgresql" else sqlite_insert)(ActorKey)
    with engine.connect() as connection:
        made = connection.execute(
            insert.values(**values).on_conflict_do_nothing(index_elements=["owner"]).returning(ActorKey.id)
        ).first()
        connection.commit()
    if made is not None:
        log.info("made a signing key for %s", owner)
    key = _stored_key(owner)
    if key is None:  # pragma: no cover - the row was just committed, by this call or another
        raise RuntimeError(f"The signing key of {owner} could not be stored")
    return key


def agency_key(agency: "Agency") -> ActorKey:
    """The key pair an agency's actor signs with, made when it has none."""
    if agency.id is None:
        db.session.flush()
    return _key_for(f"agency:{agency.id}", agency.id)


def instance_key() -> ActorKey:
    """The key pair the instance actor signs fetches with, made when there is none."""
    return _key_for(INSTANCE_OWNER, None)
