"""Rate limits of the site's forms that send mail (alert confirmations, requests for
documents), per address and per IP address, kept in the store's `rate_events` table so
every worker process of the web server sees the same counts."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from diarium.errors import DiariumError
from diarium.store import Store


class RateLimited(DiariumError):
    """Too many mails asked for from one address or one IP address; try again later."""


@dataclass(frozen=True)
class Limit:
    """At most `count` events of `key` within `seconds`."""

    key: str
    count: int
    seconds: float


def check(store: Store, limits: Sequence[Limit], now: float | None = None) -> None:
    """Raise RateLimited when any limit is reached; otherwise record one event for each
    (call it inside the transaction that queues the mail). Old events are dropped."""
    moment = time.time() if now is None else now
    longest = max((limit.seconds for limit in limits), default=0.0)
    conn = store.conn
    conn.execute("DELETE FROM rate_events WHERE at < ?", (moment - max(longest, 7 * 86400),))
    for limit in limits:
        used = int(conn.execute("SELECT COUNT(*) FROM rate_events WHERE key = ? AND at > ?",
                                (limit.key, moment - limit.seconds)).fetchone()[0])
        if used >= limit.count:
            raise RateLimited(f"rate limit reached for {limit.key.split(':', 1)[0]}")
    conn.executemany("INSERT INTO rate_events (key, at) VALUES (?, ?)",
                     [(limit.key, moment) for limit in limits])
