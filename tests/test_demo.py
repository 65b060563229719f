"""The synthetic demo's raw layer: every product code it writes is a real HS6 code of the
revision its row says, so build and the HS vocabulary treat it like real data."""

from __future__ import annotations

import json

from tradeviz.demo.data import write_demo_raw
from tradeviz.vocab import hs


def test_every_demo_hs6_code_exists_in_its_rows_revision(tmp_path):
    store = write_demo_raw(tmp_path / "raw")
    seen: dict[tuple[str, str], int] = {}
    for snap in store.snapshots("comtrade"):
        for row in json.loads(store.read(snap))["data"]:
            code, rev = str(row["cmdCode"]), row["classificationCode"]
            if code != "TOTAL":
                seen[(code, rev)] = seen.get((code, rev), 0) + 1
    assert {rev for _, rev in seen} == {"H4", "H5", "H6"}
    assert len({code for code, _ in seen}) > 60  # the mixes and the tail, not a handful
    missing = sorted(
        f"{code} ({rev}, {n} rows)"
        for (code, rev), n in seen.items()
        if len(code) != 6 or not hs.exists(code, rev)
    )
    assert missing == []
