"""Cleanup deletes only what can no longer be used."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from idp import cleanup
from idp.models import AuthorizationCode, Grant, Token, VerificationCode
from idp.store import codes, grants

pytestmark = pytest.mark.both_databases


def test_purge_keeps_live_and_recently_expired_rows(idp, app, user):
    now = datetime.now(UTC)
    old, recent = now - timedelta(days=2), now - timedelta(hours=1)
    with idp.db() as db:
        grant = grants.create_grant(db, user_id=user["id"], client_id=app["id"], scope="openid", created_at=old)
        db.flush()
        for value, expires in (("old-code", old), ("recent-code", recent), ("live-code", now + timedelta(seconds=60))):
            grants.save_code(db, value, grant_id=grant.id, client_id=app["id"], redirect_uri="https://rp/cb",
                             scope="openid", expires_at=expires)
            grants.save_token(db, value, kind="access", grant_id=grant.id, client_id=app["id"], user_id=user["id"],
                              scope="openid", issued_at=old, expires_at=expires)
        codes.replace(db, interaction_id=None, email_key="gone@example.test", type="Generic", code_hash="x",
                      now=old - timedelta(hours=1), ttl=600)
        grant_id = grant.id
    with idp.db() as db:
        cleanup.purge(db, now)
    with idp.db() as db:
        assert db.query(AuthorizationCode).filter_by(grant_id=grant_id).count() == 2
        assert db.query(Token).filter_by(grant_id=grant_id).count() == 2
        assert db.query(VerificationCode).filter_by(email_key="gone@example.test").count() == 0
        assert db.get(Grant, grant_id) is not None


def test_purge_command(idp):
    assert idp.cli("purge") == {"purged": True}
