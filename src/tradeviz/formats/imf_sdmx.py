"""IMF SDMX 3.0, IMTS dataflow: the query key of one fetch, and writers for the two data
message formats of api.imf.org (SDMX-ML StructureSpecificData, as recorded, and SDMX-JSON
2.0). The demo writes its raw IMF layer with these; the emulator answers with them.

A series is a dict of its dimension and series attributes (COUNTRY, INDICATOR,
COUNTERPART_COUNTRY, FREQUENCY, OVERLAP, SCALE) plus `obs`: a list of dicts with
TIME_PERIOD, OBS_VALUE (full US dollars, as text) and DERIVATION_TYPE."""

from __future__ import annotations

import json
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

from tradeviz.store.raw import query_key
from tradeviz.vocab.countries import PROJECT_ISO3

SOURCE = "imf"
DATAFLOW = "/external/sdmx/3.0/data/dataflow/IMF.STA/IMTS/+"
INDICATORS = ("XG_FOB_USD", "MG_CIF_USD", "MG_FOB_USD")
WORLD = "G001"
NS = (
    'xmlns:message="http://www.sdmx.org/resources/sdmxml/schemas/v3_0/message" '
    'xmlns:common="http://www.sdmx.org/resources/sdmxml/schemas/v3_0/common" '
    'xmlns:ss="http://www.sdmx.org/resources/sdmxml/schemas/v3_0/data/structurespecific"'
)


@dataclass(frozen=True)
class ImfQuery:
    """One IMTS query: a reporter's flows with the other five project countries and World,
    for one frequency and a span of years."""

    reporter: str
    freq: str
    start: int
    end: int

    @property
    def key(self) -> str:
        partners = "+".join([c for c in PROJECT_ISO3 if c != self.reporter] + [WORLD])
        return f"{self.reporter}.{'+'.join(INDICATORS)}.{partners}.{self.freq}"

    def params(self) -> dict[str, str]:
        # Monthly bounds in the period form the SDMX 3.0 API documents (YYYY-Mmm), so the
        # last month of the last year is asked for by its own name (issue 22).
        if self.freq == "M":
            span = f"ge:{self.start}-M01+le:{self.end}-M12"
        else:
            span = f"ge:{self.start}-01-01+le:{self.end}-12-31"
        return {
            "c[TIME_PERIOD]": span,
            "dimensionAtObservation": "TIME_PERIOD",
            "detail": "full",
        }

    @property
    def identity(self) -> str:
        return query_key(SOURCE, {"key": self.key, **self.params()})


def render_xml(series: list[dict]) -> str:
    """StructureSpecificData as the recorded IMTS body lays it out."""
    parts = [
        "<?xml version='1.0' encoding='UTF-8'?>",
        f"<message:StructureSpecificData {NS}><message:Header><message:ID>EMU</message:ID>"
        "<message:Test>true</message:Test></message:Header>"
        '<message:DataSet ss:structureRef="IMF.STA.DSD_IMTS.1.0.0" action="Replace">',
    ]
    for s in series:
        attrs = " ".join(f"{k}={quoteattr(v)}" for k, v in s.items() if k != "obs")
        parts.append(f"<Series {attrs}>")
        for o in s["obs"]:
            parts.append(
                f'<Obs OBS_VALUE="{o["OBS_VALUE"]}" DERIVATION_TYPE='
                f'"{o["DERIVATION_TYPE"]}" TIME_PERIOD="{o["TIME_PERIOD"]}"/>'
            )
        parts.append("</Series>")
    parts.append("</message:DataSet></message:StructureSpecificData>")
    return "".join(parts)


def render_json(series: list[dict]) -> str:
    """SDMX-JSON 2.0 data message in the layout of the recorded api.imf.org JSON body."""
    dims = ["COUNTRY", "INDICATOR", "COUNTERPART_COUNTRY", "FREQUENCY"]
    values = {d: sorted({s[d] for s in series}) for d in dims}
    times = sorted({o["TIME_PERIOD"] for s in series for o in s["obs"]})
    derivs = sorted({o["DERIVATION_TYPE"] for s in series for o in s["obs"]})
    out_series = {}
    for s in series:
        key = ":".join(str(values[d].index(s[d])) for d in dims)
        out_series[key] = {
            "attributes": [0, 0],
            "observations": {
                str(times.index(o["TIME_PERIOD"])): [
                    o["OBS_VALUE"],
                    derivs.index(o["DERIVATION_TYPE"]),
                ]
                for o in s["obs"]
            },
        }
    structure = {
        "dimensions": {
            "series": [
                {"id": d, "keyPosition": i, "values": [{"id": v} for v in values[d]]}
                for i, d in enumerate(dims)
            ],
            "observation": [
                {"id": "TIME_PERIOD", "keyPosition": 4, "values": [{"value": t} for t in times]}
            ],
        },
        "attributes": {
            "series": [
                {"id": "SCALE", "values": [{"id": "6"}]},
                {"id": "OVERLAP", "values": [{"id": "OL"}]},
            ],
            "observation": [{"id": "DERIVATION_TYPE", "values": [{"id": d} for d in derivs]}],
        },
    }
    doc = {
        "meta": {},
        "data": {
            "dataSets": [{"structure": 0, "action": "Replace", "series": out_series}],
            "structures": [structure],
        },
    }
    return json.dumps(doc)
