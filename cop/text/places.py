"""Countries and time zones: names, choices and checks that profiles and agencies share."""

from __future__ import annotations

import functools
import zoneinfo
from collections import defaultdict
from importlib import resources
from typing import Optional

import pycountry

from cop.errors import ServiceError


def country_name(code: Optional[str]) -> str:
    """The English short name of an ISO 3166 country code."""
    if not code:
        return ""
    country = pycountry.countries.get(alpha_2=code)
    return country.name if country else code


@functools.cache
def country_choices() -> list[tuple[str, str]]:
    """(code, name) for every country, sorted by name."""
    return sorted(((c.alpha_2, c.name) for c in pycountry.countries), key=lambda pair: pair[1])


def check_country(code: Optional[str], field: str = "country") -> Optional[str]:
    """An upper-case ISO 3166 code, None for none given; ServiceError for an unknown one."""
    if not code:
        return None
    code = code.strip().upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise ServiceError(f"“{code}” is not a country code. Use a two-letter code such as GB or AU.", field=field)
    return code


@functools.cache
def time_zone_names() -> tuple[str, ...]:
    """Every IANA time zone name, sorted."""
    return tuple(sorted(zoneinfo.available_timezones()))


def check_time_zone(name: str, field: str = "time_zone") -> str:
    """The name of a known IANA time zone; ServiceError otherwise."""
    if name not in zoneinfo.available_timezones():
        raise ServiceError(f"“{name}” is not a time zone we know. Choose one such as Europe/London.", field=field)
    return name


@functools.cache
def _zones_by_country() -> dict[str, tuple[str, ...]]:
    """Country code -> the time zones used there, from the tz database's zone.tab."""
    zones: dict[str, list[str]] = defaultdict(list)
    text = resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        code, _coordinates, zone, *_comment = line.split("\t")
        zones[code].append(zone)
    return {code: tuple(sorted(names)) for code, names in zones.items()}


def time_zones_in(country: Optional[str]) -> tuple[str, ...]:
    """The time zones a country uses, alphabetical; empty for none or an unknown code."""
    return _zones_by_country().get((country or "").upper(), ())
