"""Projections that change without a change in the store: time and policy.

A record's public projection depends on more than its row: under `show_days` a private
person's name is hidden once the document is N days old, and a changed privacy policy in
diarium.toml changes every record of its organisation. `diarium index` follows the
store's `changes` table, which records neither, so each index remembers in
`privacy_state` the day it last projected and the policies it projected under, and each
run adds to its changed documents (`due`):

- the documents of every show_days organisation whose window closed since that day:
  `datum + show_days` after the last day and not after today, a query on dates;
- every document of an organisation whose policy fingerprint differs;
- every document, when the index has no privacy_state yet (an index built before these
  rules existed holds names that must go).

They then take the normal change path: projected again, written, and, as any other
withdrawn content, purged from the index files (diarium.pipeline.indexing).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from diarium.config import Settings
from diarium.store import Store


def _policies(store: Store, settings: Settings) -> dict[str, str]:
    slugs = [r[0] for r in store.conn.execute("SELECT slug FROM organisations ORDER BY slug")]
    return {slug: settings.org(slug).privacy.fingerprint() for slug in slugs}


@dataclass(frozen=True)
class Due:
    """The documents to project again (ids in order), and whether they were chosen
    wholesale (no state yet, or a policy changed): then the run purges without
    comparing each record with its indexed version, which would cost one lookup each."""

    ids: list[int]
    wholesale: bool = False


def due(store: Store, settings: Settings, name: str, today: date) -> Due:
    """The documents whose projection changed for the named index since its last run,
    though the store recorded no change (module doc)."""
    row = store.conn.execute(
        "SELECT projected_on, policies FROM privacy_state WHERE name = ?", (name,)).fetchone()
    if row is None:
        return Due([int(r[0]) for r in store.conn.execute(
            "SELECT id FROM documents ORDER BY id")], wholesale=True)
    try:
        before = json.loads(row["policies"])
    except ValueError:
        before = {}
    last_day = str(row["projected_on"])
    ids: set[int] = set()
    wholesale = False
    for slug, fingerprint in _policies(store, settings).items():
        if before.get(slug) != fingerprint:
            wholesale = wholesale or slug in before
            ids.update(int(r[0]) for r in store.conn.execute(
                "SELECT d.id FROM documents d JOIN cases c ON c.id = d.case_id "
                "JOIN organisations o ON o.id = c.organisation_id WHERE o.slug = ?",
                (slug,)))
            continue
        policy = settings.org(slug).privacy
        if policy.private_names != "show_days" or last_day >= today.isoformat():
            continue
        modifier = f"+{policy.show_days} days"
        ids.update(int(r[0]) for r in store.conn.execute(
            "SELECT d.id FROM documents d JOIN cases c ON c.id = d.case_id "
            "JOIN organisations o ON o.id = c.organisation_id "
            "WHERE o.slug = ? AND date(d.datum, ?) > ? AND date(d.datum, ?) <= ?",
            (slug, modifier, last_day, modifier, today.isoformat())))
    return Due(sorted(ids), wholesale)


def remember(store: Store, settings: Settings, name: str, today: date) -> None:
    """Record that the named index's records were projected on `today` under the current
    policies; returns None."""
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO privacy_state (name, projected_on, policies) VALUES (?, ?, ?) "
            "ON CONFLICT(name) DO UPDATE SET projected_on = excluded.projected_on, "
            "policies = excluded.policies",
            (name, today.isoformat(),
             json.dumps(_policies(store, settings), ensure_ascii=False, sort_keys=True)))


def forget(store: Store, name: str) -> None:
    """Drop the named index's privacy state (its index is gone or rebuilt)."""
    with store.transaction() as conn:
        conn.execute("DELETE FROM privacy_state WHERE name = ?", (name,))
