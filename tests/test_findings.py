"""Findings sentences, number formatting and the notebook runner's checks, on small frames
shaped like the Dataset's (no kernel is started here)."""

from __future__ import annotations

import nbformat
import pandas as pd
import pytest

from tradeviz.analysis import findings as F
from tradeviz.analysis.formatting import pct, table, thousands, usd


def _totals(rows):
    df = pd.DataFrame(rows, columns=["partner", "year", "exports_usd", "imports_usd"])
    df["total_usd"] = df["exports_usd"] + df["imports_usd"]
    df["balance_usd"] = df["exports_usd"] - df["imports_usd"]
    return df


TOTALS = _totals(
    [
        ("KAZ", 2019, 10e9, 8e9),
        ("KAZ", 2024, 25e9, 18e9),
        ("KGZ", 2019, 5e9, 1e9),
        ("KGZ", 2024, 20e9, 2e9),
        ("CA5", 2023, 60e9, 30e9),
        ("CA5", 2024, 63e9, 31e9),
    ]
)


def test_usd_pct_thousands():
    assert usd(7.03e10) == "USD 70.3 bn"
    assert usd(5.12e8) == "USD 512 mn"
    assert usd(3.961e9) == "USD 3.96 bn"
    assert usd(48_200) == "USD 48,200"
    assert usd(None) == "–" and pct(float("nan")) == "–"
    assert pct(0.1234) == "12.3%" and pct(-0.05, signed=True) == "-5.0%"
    assert pct(0.05, signed=True) == "+5.0%"
    assert thousands(1234567.8) == "1,234,568"


def test_table_uses_one_unit_per_column_and_names_it():
    df = pd.DataFrame({"year": [2023, 2024], "exports": [7.03e10, 9.5e8], "yoy": [None, 0.152]})
    shown = table(df, usd_cols=["exports"], signed_pct_cols=["yoy"])
    assert list(shown.columns) == ["year", "exports (USD bn)", "yoy"]
    assert shown["exports (USD bn)"].tolist() == ["70.3", "0.9"]
    assert shown["yoy"].tolist() == ["–", "+15.2%"]
    assert df["exports"].iloc[0] == 7.03e10  # the source frame keeps its numbers


def test_total_and_balance_sentences_from_numbers():
    text = F.total_sentence(TOTALS)
    assert text.startswith("In 2024 China's reported trade with Central Asia")
    assert "USD 94.0 bn" in text and "up 4.4% on 2023" in text
    assert F.balance_sentence(TOTALS) == (
        "China ran a surplus of USD 32.0 bn with Central Asia (the five together) in 2024."
    )
    one = TOTALS[TOTALS["partner"] == "KAZ"]
    assert "Kazakhstan" in F.total_sentence(one)
    assert "on 2023" not in F.total_sentence(one)  # no 2023 row: no change claimed
    assert F.total_sentence(TOTALS.iloc[0:0]) == ""


def test_partner_and_growth_sentences_claim_only_what_the_rows_show():
    assert F.largest_partner_sentence(TOTALS).startswith(
        "Kazakhstan was China's largest Central Asian partner in 2024 (USD 43.0 bn, 66%"
    )
    assert F.largest_partner_sentence(TOTALS[TOTALS["partner"] == "KAZ"]) == ""
    growth = F.fastest_growth_sentence(TOTALS)
    cagr = (22e9 / 6e9) ** (1 / 5) - 1
    assert growth.startswith("Fastest growth 2019–2024: Kyrgyzstan")
    assert pct(cagr, signed=True) in growth


def test_growth_window_is_the_tables_first_year_like_the_growth_table():
    """Findings, the totals table ('growth a year since 2014') and the trade_growth chart
    ('CAGR 2014–24') all measure growth from the first year of the tables."""
    long = _totals(
        [
            ("KAZ", 2014, 10e9, 8e9),
            ("KAZ", 2019, 12e9, 9e9),
            ("KAZ", 2024, 25e9, 18e9),
            ("KGZ", 2014, 4e9, 1e9),
            ("KGZ", 2019, 5e9, 1e9),
            ("KGZ", 2024, 20e9, 2e9),
        ]
    )
    text = F.fastest_growth_sentence(long)
    assert text.startswith("Fastest growth 2014–2024: Kyrgyzstan")
    assert pct((22e9 / 5e9) ** (1 / 10) - 1, signed=True) in text
    assert F.fastest_growth_sentence(long, window=5).startswith("Fastest growth 2019–2024")
    areas = pd.DataFrame(
        {
            "area": ["energy", "energy", "ict", "ict"],
            "match": "full",
            "year": [2014, 2024, 2014, 2024],
            "value_usd": [1e9, 2e9, 1e9, 4e9],
        }
    )
    assert "2014–2024: ICT goods" in F.fastest_area_sentence(areas)


def test_product_sentences_use_labels_never_cut_words():
    top = pd.DataFrame(
        {
            "hs_code": ["640299"],
            "year": [2024],
            "value_usd": [5e8],
            "share": [0.05],
            "description": [
                "Footwear; n.e.c. in heading no. 6402, (other than just covering the ankle), "
                "with outer soles and uppers of rubber or plastics"
            ],
            "label": ["Footwear, rubber or plastic soles and uppers"],
        }
    )
    text = F.top_product_sentence(top, "KGZ", "export")
    assert "HS 640299 (Footwear, rubber or plastic soles and uppers)" in text
    no_label = F.top_product_sentence(top.drop(columns="label"), "KGZ", "export")
    assert "(Footwear; with outer soles and uppers of rubber or plastics)" in no_label
    assert "n…" not in no_label and "…" not in no_label


def test_share_and_mirror_sentences():
    shares = pd.DataFrame(
        {
            "country": ["KGZ", "TKM"],
            "year": [2024, 2024],
            "share_partner_reported": [0.33, None],
            "share_china_reported": [1.24, None],
        }
    )
    text = F.share_sentence(shares)
    assert "Kyrgyzstan in 2024: 33%" in text and "124%" in text
    # 124% is no share: the sentence says it is a mirror gap (China records more trade
    # with Kyrgyzstan than Kyrgyzstan records with the whole world)
    assert "more than all of it" in text and "a mirror gap" in text
    below = shares.assign(share_china_reported=[0.6, None])
    assert "mirror gap" not in F.share_sentence(below)
    assert F.share_sentence(shares, "TKM") == ""  # Turkmenistan reports no World total
    mirror = pd.DataFrame(
        {
            "country": ["KAZ", "KGZ"],
            "direction": ["CHN->KAZ", "CHN->KGZ"],
            "exporter": ["CHN", "CHN"],
            "importer": ["KAZ", "KGZ"],
            "year": [2024, 2024],
            "exporter_fob_usd": [25.4e9, 22.3e9],
            "importer_cif_usd": [14.0e9, 5.56e9],
        }
    )
    mirror["gap_usd"] = mirror["importer_cif_usd"] - mirror["exporter_fob_usd"]
    mirror["ratio"] = mirror["importer_cif_usd"] / mirror["exporter_fob_usd"]
    assert (
        "Kyrgyzstan reported imports from China of USD 5.56 bn, USD 16.7 bn less"
        in F.mirror_sentence(mirror)
    )
    assert "Kazakhstan" in F.mirror_sentence(mirror, "KAZ")
    both = F.mirror_directions_sentence(mirror)
    assert both.startswith("In 2024 the partners' reported imports from China came to 41%")


def test_alt_text_and_missing_tables_before_any_kernel(tmp_path):
    from tradeviz.analysis.dataset import TablesMissingError
    from tradeviz.notebook_runner import _add_alt_text, run_notebooks

    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# Overview"),
            nbformat.v4.new_code_cell(
                outputs=[
                    nbformat.v4.new_output(
                        "display_data",
                        data={"image/png": "iVBORw0KGgo="},
                        metadata={"image/png": {"alt": "China's trade <by country>"}},
                    )
                ]
            ),
        ]
    )
    _add_alt_text(nb)
    html = nb.cells[1].outputs[0]["data"]["text/html"]
    assert html.startswith('<img alt="China&#x27;s trade &lt;by country&gt;"')
    with pytest.raises(TablesMissingError, match="tradeviz build"):
        run_notebooks(tmp_path / "out", tmp_path / "empty")
    assert not (tmp_path / "out").exists()  # stopped before writing or starting anything


def test_html_hides_code_unless_asked_and_loads_nothing_remote(tmp_path):
    from tradeviz.notebook_runner import _write_html

    def book():
        return nbformat.v4.new_notebook(
            cells=[
                nbformat.v4.new_markdown_cell("# Overview"),
                nbformat.v4.new_code_cell(
                    "secret_variable_name = 42",
                    outputs=[
                        nbformat.v4.new_output(
                            "display_data", data={"text/markdown": "Total USD 94.8 bn."}
                        )
                    ],
                ),
            ]
        )

    _write_html(book(), tmp_path / "report.html", with_code=False)
    _write_html(book(), tmp_path / "code.html", with_code=True)
    report = (tmp_path / "report.html").read_text()
    code = (tmp_path / "code.html").read_text()
    assert "Total USD 94.8 bn." in report and "Total USD 94.8 bn." in code
    assert "secret_variable_name" not in report and "secret_variable_name" in code
    for text in (report, code):
        assert "cdnjs" not in text and "require.min.js" not in text


def test_largest_product_across_countries():
    tops = pd.DataFrame(
        {
            "country": ["KAZ", "TKM", "KAZ"],
            "flow": ["import"] * 2 + ["export"],
            "year": [2024] * 3,
            "hs_code": ["740311", "271121", "940540"],
            "description": ["Copper cathodes", "Petroleum gases", ""],
            "value_usd": [3.96e9, 8.7e9, 1.72e9],
        }
    )
    assert F.largest_product_sentence(tops, "import") == (
        "China's largest single import from the region in 2024: HS 271121 (Petroleum gases), "
        "from Turkmenistan, USD 8.70 bn."
    )
    assert F.largest_product_sentence(tops, "export").endswith(
        "HS 940540, to Kazakhstan, USD 1.72 bn."
    )
    assert F.largest_product_sentence(tops.iloc[0:0], "export") == ""
