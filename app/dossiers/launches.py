"""The ledger of used launch tokens: a portal's signed link starts at most one journey.

A token's `jti` is recorded (hashed) until the token expires; a second use is refused by the database's unique
constraint, so two instances racing on the same link cannot both accept it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable

from sqlalchemy import Engine, delete, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.dossiers.models import UsedLaunchToken, utcnow


class LaunchLedger:
    def __init__(self, engine: Engine, *, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.engine = engine
        self._clock = clock

    def use(self, organisation: str, jti: str, expires_at: dt.datetime) -> bool:
        """Record the token as used; False when it already was."""
        row = {"organisation": organisation, "jti_hash": hashlib.sha256(jti.encode()).hexdigest(),
               "expires_at": expires_at}
        try:
            # A Core insert: an ORM session's unit of work costs twice the CPU for one row.
            with self.engine.begin() as connection:
                connection.execute(insert(UsedLaunchToken), [row])
        except IntegrityError:
            return False
        return True

    def purge(self, now: dt.datetime | None = None) -> int:
        """Forget the tokens that have expired: they can no longer be replayed anyway."""
        with Session(self.engine) as session, session.begin():
            expired = UsedLaunchToken.expires_at <= (now or self._clock())
            result = session.execute(delete(UsedLaunchToken).where(expired))
        return result.rowcount or 0
