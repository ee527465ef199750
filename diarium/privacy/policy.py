"""Per-organisation privacy policy, read from the organisation's table in diarium.toml::

    [organisations.bygg]
    private_names = "hide"          # the default; "show", or "show_days" with show_days
    show_days = 365                 # names shown and searchable for 365 days after the
                                    # document's date, then hidden (implies "show_days")
    own_names = ["Bygglovsenheten", "Lindholmen Norra"]   # parties that are organisations

    [[organisations.bygg.sensitive]]     # off by default; one table per neutral text
    klassificering = ["2.5", "Individ- och familjeomsorg"]
    namnd = ["Socialnämnden"]
    handlingstyp = ["Orosanmälan"]
    text = "Ärende inom socialtjänsten"

A sensitive matter matches when the case's classification, its committee or the
document's type holds one of the listed values as a whole phrase (without case; a code
"2.5" also matches "2.5.1" but not "2.50").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from diarium.errors import ConfigError

PRIVATE_NAMES = ("hide", "show", "show_days")
PRIVATE_PERSON = "Privatperson"          # what a hidden private person is shown as
DEFAULT_SENSITIVE_TEXT = "Ärende som rör en enskild person"
MAX_SHOW_DAYS = 36_500


@dataclass(frozen=True)
class SensitiveRule:
    """One list of sensitive matters and the neutral text their entries get."""

    klassificering: tuple[str, ...] = ()
    namnd: tuple[str, ...] = ()
    handlingstyp: tuple[str, ...] = ()
    text: str = DEFAULT_SENSITIVE_TEXT

    def matches(self, klassificering: str, namnd: str, handlingstyp: str) -> bool:
        """True when one of the fields holds one of this rule's values (module doc)."""
        return (_holds(klassificering, self.klassificering) or _holds(namnd, self.namnd)
                or _holds(handlingstyp, self.handlingstyp))


def _holds(value: str, phrases: tuple[str, ...]) -> bool:
    if not value or not phrases:
        return False
    folded = " ".join(value.casefold().split())
    return any(re.search(rf"(?<!\w){re.escape(p)}(?!\w)", folded) for p in phrases)


@dataclass(frozen=True)
class PrivacyPolicy:
    """What the public projection does with one organisation's private names and
    sensitive matters. The default hides private persons' names and neutralises
    nothing."""

    private_names: str = "hide"
    show_days: int = 0                  # with private_names "show_days"
    own_names: tuple[str, ...] = ()
    sensitive: tuple[SensitiveRule, ...] = field(default_factory=tuple)

    def sensitive_text(self, klassificering: str, namnd: str, handlingstyp: str) -> str:
        """The neutral text of the first sensitive rule that matches, or ""."""
        for rule in self.sensitive:
            if rule.matches(klassificering, namnd, handlingstyp):
                return rule.text
        return ""

    def fingerprint(self) -> str:
        """A stable text of the policy: when it changes, every record of the
        organisation must be projected again."""
        return repr((self.private_names, self.show_days, self.own_names, self.sensitive))


def _strings(where: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a list of strings")
    return tuple(" ".join(v.casefold().split()) for v in value if v.strip())


def parse_policy(where: str, table: dict[str, Any]) -> PrivacyPolicy:
    """The PrivacyPolicy of one organisation table. `where` names the table in errors
    ("diarium.toml: organisations.ks"). Raises ConfigError for a bad value."""
    mode = str(table.get("private_names", "")).strip()
    days_raw = table.get("show_days")
    if mode and mode not in PRIVATE_NAMES:
        raise ConfigError(f"{where}.private_names is {mode!r}; use \"hide\", \"show\" or "
                          "\"show_days\" (with show_days = N)")
    days = 0
    if days_raw is not None:
        if isinstance(days_raw, bool) or not isinstance(days_raw, int) or not (
                1 <= days_raw <= MAX_SHOW_DAYS):
            raise ConfigError(f"{where}.show_days is {days_raw!r}; write a whole number of "
                              f"days from 1 to {MAX_SHOW_DAYS}")
        if mode in ("hide", "show"):
            raise ConfigError(f"{where}: show_days = {days_raw} contradicts private_names = "
                              f"\"{mode}\"; drop one of them")
        mode = "show_days"
        days = days_raw
    elif mode == "show_days":
        raise ConfigError(f"{where}.private_names is \"show_days\" but show_days is missing; "
                          "add show_days = N (days after the document's date)")
    own = table.get("own_names", [])
    if own is not None and not (isinstance(own, list) and all(isinstance(v, str) for v in own)):
        raise ConfigError(f"{where}.own_names must be a list of strings")
    raw_rules = table.get("sensitive", [])
    if isinstance(raw_rules, dict):
        raw_rules = [raw_rules]
    if not isinstance(raw_rules, list):
        raise ConfigError(f"{where}.sensitive must be a table or an array of tables")
    rules = []
    for i, rule in enumerate(raw_rules):
        at = f"{where}.sensitive[{i}]"
        if not isinstance(rule, dict):
            raise ConfigError(f"{at} must be a table")
        unknown = set(rule) - {"klassificering", "namnd", "handlingstyp", "text"}
        if unknown:
            raise ConfigError(f"{at}: unknown key {sorted(unknown)[0]!r}; use klassificering, "
                              "namnd, handlingstyp and text")
        text = str(rule.get("text", DEFAULT_SENSITIVE_TEXT)).strip() or DEFAULT_SENSITIVE_TEXT
        made = SensitiveRule(
            klassificering=_strings(f"{at}.klassificering", rule.get("klassificering")),
            namnd=_strings(f"{at}.namnd", rule.get("namnd")),
            handlingstyp=_strings(f"{at}.handlingstyp", rule.get("handlingstyp")),
            text=" ".join(text.split()),
        )
        if not (made.klassificering or made.namnd or made.handlingstyp):
            raise ConfigError(f"{at} lists nothing; give klassificering, namnd or handlingstyp")
        rules.append(made)
    return PrivacyPolicy(
        private_names=mode or "hide",
        show_days=days,
        own_names=tuple(" ".join(v.split()) for v in own or [] if v.strip()),
        sensitive=tuple(rules),
    )
