"""Focus areas of the 2023 Xi'an summit agenda: the one registry of their keys, labels,
colours and display order. Tag rules, CLI choices, chart colours and schema checks all
derive from `AREAS`."""

from __future__ import annotations

from dataclasses import dataclass

from tradeviz.errors import InputError


@dataclass(frozen=True)
class Area:
    key: str
    label: str
    color: str
    description: str


AREAS: tuple[Area, ...] = (
    Area("energy", "Energy", "#8c564b", "Oil, gas, coal, electricity and their pipelines."),
    Area(
        "critical_minerals",
        "Critical minerals",
        "#7f7f7f",
        "Ores, concentrates and refined forms of minerals on cited critical-minerals lists.",
    ),
    Area(
        "new_energy_equipment",
        "New-energy equipment",
        "#2ca02c",
        "Solar, wind, batteries, electric vehicles and grid equipment.",
    ),
    Area(
        "ict",
        "ICT goods",
        "#1f77b4",
        "Information and communication technology goods (OECD/UNCTAD ICT goods list).",
    ),
    Area(
        "agriculture",
        "Agriculture",
        "#bcbd22",
        "Agricultural products (WTO Agreement on Agriculture coverage).",
    ),
    Area(
        "infrastructure",
        "Infrastructure",
        "#ff7f0e",
        "Goods for cross-border transport and construction: rail, pipes, steel structures.",
    ),
    Area(
        "ecommerce_consumer",
        "E-commerce consumer goods",
        "#e377c2",
        "Consumer goods typical of cross-border e-commerce parcels.",
    ),
)
OTHER = Area("other", "Other / untagged", "#d9d9d9", "Trade not attributed to a focus area.")

AREA_KEYS: tuple[str, ...] = tuple(a.key for a in AREAS)
BY_KEY: dict[str, Area] = {a.key: a for a in (*AREAS, OTHER)}
COLORS: dict[str, str] = {k: a.color for k, a in BY_KEY.items()}
LABELS: dict[str, str] = {k: a.label for k, a in BY_KEY.items()}


def check_area(key: str) -> Area:
    """The area named `key`, or an InputError (a ValueError) that lists the valid keys."""
    try:
        return BY_KEY[key]
    except KeyError:
        raise InputError(f"unknown focus area {key!r}; use one of {', '.join(AREA_KEYS)}") from None
