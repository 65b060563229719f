"""Mirror reconciliation: what the exporter reports (FOB) beside what the importer reports
(CIF), for China and each Central Asian partner, in both directions.

Sides are compared at the finest HS level both fetched. When both report in one HS
revision, codes compare directly. When they report in different revisions, they are
compared over the connected groups of UNSD's correlation tables between those revisions
(vocab.hs.groups): codes linked through any 1:n, n:1 or n:n relation form one group, a 1:1
code is a group alone, and each row keeps the group id and the codes each side reported
(hs_code is then the first code the exporter reported in the group).
matched / exporter_only / importer_only then mean: both sides, or one side only, reported
something in the group.

The importer's side is its CIF value where it reports one (`cif_usd`), else its primary
value (`importer_basis` says which), so the gap is the CIF/FOB gap it claims to be.

Everything runs on integer codes (issue 12: this was the build's slowest step). The few
columns read are encoded once; a comparison cell (exporter, importer, freq, year, month)
and a compared key (a code, or a correlation group) are integers; string work touches only
distinct codes; the text columns are taken from small vocabularies once, at the end.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from tradeviz.schema import MIRROR_FIELDS, text_categorical
from tradeviz.transform.runs import run_starts
from tradeviz.vocab import hs
from tradeviz.vocab.countries import CA_ISO3, CHINA

COUNTRIES = (CHINA.iso3, *CA_ISO3)  # a cell's exporter and importer index this tuple
FREQS = ("A", "M")
SORT = ["direction", "freq", "year", "month"]  # the output's order, then hs_code and key
STATUS = ("importer_only", "exporter_only", "matched")
BASIS = ("cif", "value_usd", "mixed")
EXPORTER, IMPORTER = 0, 1  # the sides, as the second axis of the per-side sums


# ------------------------------------------------------------------ rows as integers


@dataclass
class Rows:
    """The rows either side reports, as arrays in flows order: `imp` marks the importer's
    reports, `cell` indexes `cells`, `rev` and `code` index `revs` and `codes`."""

    imp: np.ndarray
    cell: np.ndarray
    rev: np.ndarray
    code: np.ndarray
    level: np.ndarray
    value: np.ndarray
    has_cif: np.ndarray
    syn: np.ndarray
    revs: np.ndarray
    codes: np.ndarray
    cells: pd.DataFrame  # exporter, importer (COUNTRIES index), monthly, year, month (0: none)

    def take(self, keep: np.ndarray) -> Rows:
        """The rows where `keep`, with the same vocabularies and cells."""
        arrays = {k: getattr(self, k)[keep] for k in ROW_ARRAYS}
        return Rows(**arrays, revs=self.revs, codes=self.codes, cells=self.cells)


ROW_ARRAYS = ("imp", "cell", "rev", "code", "level", "value", "has_cif", "syn")


def _pair_rows(flows: pd.DataFrame) -> np.ndarray:
    """Comtrade A/M exports and imports between China and a Central Asian country."""
    china, ca = CHINA.iso3, list(CA_ISO3)
    rep, par = flows["reporter"], flows["partner"]
    pair = ((rep == china) & par.isin(ca)) | (rep.isin(ca) & (par == china))
    pair &= (flows["source"] == "comtrade") & flows["freq"].isin(FREQS)
    return (pair & flows["flow"].isin(["export", "import"])).to_numpy()


def _encoded(col: pd.Series, sel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The selected rows of a text column as int32 codes (-1: missing), and the texts
    they index (a categorical's own codes and categories: no text is decoded per row)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        code, uniques = col.cat.codes.to_numpy(), col.cat.categories.astype("str")
    else:
        code, uniques = pd.factorize(col.astype("str"))
    return code[sel].astype(np.int32), np.asarray(uniques, dtype=object)


def _country(col: pd.Series, sel: np.ndarray) -> np.ndarray:
    """The selected rows' countries as indexes into COUNTRIES."""
    code, uniques = _encoded(col, sel)
    known = np.array([COUNTRIES.index(u) if u in COUNTRIES else -1 for u in uniques], dtype=int)
    return known[code]


def _floats(flows: pd.DataFrame, name: str, sel: np.ndarray) -> np.ndarray:
    """A float column's selected rows (NaN for missing; all NaN when there is no column)."""
    if name not in flows.columns:
        return np.full(int(sel.sum()), np.nan)
    return flows[name].to_numpy(dtype=np.float64, na_value=np.nan)[sel]


def _rows(flows: pd.DataFrame) -> Rows:
    """The compared rows. Columns are encoded whole and then masked: the selected rows of
    the frame (25 columns, most of them text) are never copied."""
    sel = _pair_rows(flows)
    imp = (flows["flow"] == "import").to_numpy()[sel]
    rep, par = _country(flows["reporter"], sel), _country(flows["partner"], sel)
    cif = _floats(flows, "cif_usd", sel)
    cif_imp = imp & ~np.isnan(cif)
    rev, revs = _encoded(flows["hs_rev"], sel)
    code, codes = _encoded(flows["hs_code"], sel)
    cell, cells = _cells(
        np.where(imp, par, rep),
        np.where(imp, rep, par),
        (flows["freq"] == "M").to_numpy()[sel],
        flows["year"].to_numpy(dtype=np.int64)[sel],
        flows["month"].astype("Int8").fillna(0).to_numpy(dtype=np.int64)[sel],
    )
    return Rows(
        imp=imp,
        cell=cell,
        rev=rev,
        code=code,
        level=flows["hs_level"].to_numpy(dtype=np.int8)[sel],
        value=np.where(cif_imp, cif, _floats(flows, "value_usd", sel)),
        has_cif=~imp | cif_imp,
        syn=flows["synthetic"].to_numpy(dtype=bool)[sel],
        revs=revs,
        codes=codes,
        cells=cells,
    )


def _cells(
    exporter: np.ndarray,
    importer: np.ndarray,
    monthly: np.ndarray,
    year: np.ndarray,
    month: np.ndarray,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Each row's cell id and the cells' key columns, by packing the five small integers
    into one int64."""
    packed = (((exporter * 8 + importer) * 2 + monthly) * 65536 + year + 32768) * 16 + month
    cell, keys = pd.factorize(packed)  # cells in order of appearance: any order will do
    month_of, rest = keys % 16, keys // 16
    year_of, rest = rest % 65536 - 32768, rest // 65536
    monthly_of, rest = rest % 2, rest // 2
    cells = pd.DataFrame(
        {"exporter": rest // 8, "importer": rest % 8, "monthly": monthly_of}
        | {"year": year_of, "month": month_of}
    )
    return cell.astype(np.int32), cells


# ------------------------------------------------------------------ levels and keys


@dataclass
class Levels:
    """Per cell: each side's revision (-1 where it reported none), the level compared at,
    and whether the revisions differ (then groups are compared)."""

    e_rev: np.ndarray
    i_rev: np.ndarray
    match: np.ndarray
    grouped: np.ndarray


def _finest(rows: Rows) -> tuple[Rows, np.ndarray]:
    """Per cell and side only the rows at the finest level fetched (levels are
    partitions), and that level by cell and side (-1: none)."""
    slot = rows.cell * 2 + rows.imp
    top = np.full(2 * len(rows.cells), -1, dtype=np.int8)
    np.maximum.at(top, slot, rows.level)
    return rows.take(rows.level == top[slot]), top.reshape(-1, 2)


def _levels(rows: Rows, top: np.ndarray) -> Levels:
    """The cells' levels. A side's revision is its first row's (in flows order) that has
    one; the level compared at is the coarser side's, or the one side's."""
    n = len(rows.imp)
    first = np.full(2 * len(rows.cells), n, dtype=np.int64)
    known = np.flatnonzero(rows.rev >= 0)
    np.minimum.at(first, rows.cell[known] * 2 + rows.imp[known], known)
    rev = np.where(first < n, rows.rev[np.minimum(first, n - 1)], -1).reshape(-1, 2)
    both = (top >= 0).all(axis=1)
    match = np.where(both, top.min(axis=1), top.max(axis=1))
    grouped = (rev >= 0).all(axis=1) & (rev[:, 0] != rev[:, 1]) & (match > 0)
    return Levels(rev[:, 0], rev[:, 1], match, grouped)


@dataclass
class Keys:
    """Per row its code at the match level and its compared key (the code, or in a
    grouped cell its group), as ids into `vocab`: the cut codes, then the group names."""

    code: np.ndarray
    key: np.ndarray
    vocab: np.ndarray


CUTS = (6, 4, 2, 0)  # digits kept at a match level (0: TOTAL); any other level keeps 6


def _cut_codes(rows: Rows, match: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's code at its cell's match level (TOTAL at level 0), as an id into the
    returned texts; strings are cut once per distinct (code, cut)."""
    level = match[rows.cell]
    cut = np.select([level == 4, level == 2, level == 0], [1, 2, 3], 0)
    table = np.zeros((len(rows.codes), len(CUTS)), dtype=bool)
    table[rows.code, cut] = True
    used = np.flatnonzero(table)
    code_of, cut_of = np.divmod(used, len(CUTS))
    texts = [
        c[: CUTS[k]] if CUTS[k] else "TOTAL"
        for c, k in zip(rows.codes[code_of], cut_of, strict=True)
    ]
    ids, vocab = pd.factorize(np.array(texts, dtype=object))
    table = np.zeros(table.shape, dtype=np.int32)
    table.flat[used] = ids
    return table[rows.code, cut], np.asarray(vocab, dtype=object)


def _group_names(
    rows: Rows, lv: Levels, at: np.ndarray, code: np.ndarray, vocab: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The names of the correlation groups of the rows `at` (in grouped cells): per
    distinct (revisions, level, row's revision, code) its group's name (a code no table
    knows stays alone, as "<rev>:<code>"), and which of them each row has."""
    cell, nrev = rows.cell[at], len(rows.revs)
    rev = np.where(rows.imp[at], lv.i_rev[cell], lv.e_rev[cell]).astype(np.int64)
    ctx = (lv.e_rev[cell].astype(np.int64) * nrev + lv.i_rev[cell]) * 16 + lv.match[cell]
    combo, which = np.unique((ctx * nrev + rev) * len(vocab) + code[at], return_inverse=True)
    ctx, rev = np.divmod(combo // len(vocab), nrev)
    texts = zip(rows.revs[rev], vocab[combo % len(vocab)], strict=True)
    names = np.array([f"{r}:{c}" for r, c in texts], dtype=object)
    for c in np.unique(ctx).tolist():
        mine = np.flatnonzero(ctx == c)
        (e, i), level = divmod(c // 16, nrev), c % 16
        g = hs.groups(rows.revs[e], rows.revs[i], level)
        pos = pd.Index(g["rev"] + ":" + g["code"]).get_indexer(names[mine])
        hit = pos >= 0
        names[mine[hit]] = g["group"].to_numpy(dtype=object)[pos[hit]]
    return names, which


def _keys(rows: Rows, lv: Levels) -> Keys:
    code, vocab = _cut_codes(rows, lv.match)
    key = code.copy()
    at = np.flatnonzero(lv.grouped[rows.cell])
    if len(at):
        names, which = _group_names(rows, lv, at, code, vocab)
        gid, gvocab = pd.factorize(names)
        key[at] = len(vocab) + gid[which]
        vocab = np.concatenate([vocab, np.asarray(gvocab, dtype=object)])
    return Keys(code, key, vocab)


def _rank(vocab: np.ndarray) -> np.ndarray:
    """Each text's rank in code point order (the order pandas sorts str columns in)."""
    rank = np.empty(len(vocab), dtype=np.int64)
    rank[np.argsort(vocab, kind="stable")] = np.arange(len(vocab))
    return rank


# ------------------------------------------------------------------ both sides summed


@dataclass
class Sums:
    """Per output row (a distinct cell and key, rows sorted by cell * nkeys + key) and side
    (second axis: EXPORTER, IMPORTER): n rows (0: the side reported nothing), value,
    n_cif, syn, first (the smallest code's id) and codes (an id into `codes_vocab`:
    the vocabulary's codes, then joined lists)."""

    cell: np.ndarray
    key: np.ndarray
    n: np.ndarray
    value: np.ndarray
    n_cif: np.ndarray
    syn: np.ndarray
    first: np.ndarray
    codes: np.ndarray
    codes_vocab: np.ndarray

    def take(self, order: np.ndarray) -> Sums:
        """The output rows in `order`."""
        cols = ("cell", "key", "n", "value", "n_cif", "syn", "first", "codes")
        return Sums(**{c: getattr(self, c)[order] for c in cols}, codes_vocab=self.codes_vocab)


def _sums(rows: Rows, keys: Keys, rank: np.ndarray) -> Sums:
    """Each side's rows summed per (cell, key): slot 2 * output row + side."""
    nkeys = len(keys.vocab)
    uniq, out = np.unique(rows.cell.astype(np.int64) * nkeys + keys.key, return_inverse=True)
    slot = out * 2 + rows.imp
    size = 2 * len(uniq)
    n = np.bincount(slot, minlength=size)
    first, codes, codes_vocab = _codes_text(slot, keys.code, keys.vocab, rank)
    pad = np.full(size - len(first), -1, dtype=np.int32)  # slots past the last one used
    return Sums(
        cell=(uniq // nkeys).astype(np.int32),
        key=(uniq % nkeys).astype(np.int32),
        n=n.astype(np.int32).reshape(-1, 2),
        value=_summed(rows.value, slot, n).reshape(-1, 2),
        n_cif=np.bincount(slot, rows.has_cif, minlength=size).astype(np.int32).reshape(-1, 2),
        syn=np.bincount(slot, rows.syn, minlength=size).reshape(-1, 2) > 0,
        first=np.r_[first.astype(np.int32), pad].reshape(-1, 2),
        codes=np.r_[codes.astype(np.int32), pad].reshape(-1, 2),
        codes_vocab=codes_vocab,
    )


def _summed(value: np.ndarray, slot: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Per slot the sum of its values (NaN where it has none), as pandas' group-by sums
    (compensated, in flows order, NaN skipped): by pandas where a slot has several
    values, directly where it has one (0.0 + value, as the sum starts from 0.0): most
    slots have one, and a group-by over all of them held ~9 MiB of hash table."""
    out = np.full(len(n), np.nan)
    one = n[slot] == 1
    out[slot[one]] = 0.0 + np.where(np.isnan(value[one]), 0.0, value[one])
    several = pd.Series(value[~one]).groupby(slot[~one], sort=False).sum()
    out[several.index.to_numpy()] = several.to_numpy()
    return out


def _codes_text(
    slot: np.ndarray, code: np.ndarray, vocab: np.ndarray, rank: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per slot (0..max, -1 where unused): the id of its smallest code, and its distinct
    codes sorted and joined by commas as an id into the returned vocabulary (the codes,
    then the joined lists: one code almost always, so few are joined)."""
    n = len(vocab)
    pairs = np.sort(slot.astype(np.int64) * n + rank[code])
    pairs = pairs[run_starts(pairs)]
    owner, by_rank = pairs // n, np.argsort(rank)[pairs % n]
    start = np.flatnonzero(run_starts(owner))
    count = np.diff(np.r_[start, len(pairs)])
    first = np.full(int(owner[-1]) + 1 if len(owner) else 0, -1)
    first[owner[start]] = by_rank[start]
    codes = first.copy()
    several = np.flatnonzero(count > 1)
    joined = [",".join(vocab[by_rank[start[k] : start[k] + count[k]]]) for k in several]
    codes[owner[start[several]]] = n + np.arange(len(several))
    return first, codes, np.concatenate([vocab, np.array(joined, dtype=object)])


# ------------------------------------------------------------------ output columns


def _text(vocab: np.ndarray, at: np.ndarray, compact: bool) -> pd.api.extensions.ExtensionArray:
    """A str column of vocab[at] (null where at < 0), taken in Arrow at once; `compact`:
    a categorical of the distinct texts instead (no text per row)."""
    if compact:  # (a group's name may also be a code's: text_categorical takes each once)
        return text_categorical(vocab, at)
    return pd.array(pa.array(vocab, pa.large_string()).take(pa.array(at, mask=at < 0)), "str")


def _cell_columns(cells: pd.DataFrame) -> pd.DataFrame:
    """The cells' key columns as the output has them (one row per cell, a few hundred);
    take_cells() spreads them over the output rows."""
    countries = np.array(COUNTRIES, dtype=object)
    exporter = countries[cells["exporter"].to_numpy()]
    importer = countries[cells["importer"].to_numpy()]
    month = cells["month"].to_numpy()
    return pd.DataFrame(
        {
            "direction": pd.array(exporter + "->" + importer, dtype="str"),
            "exporter": pd.array(exporter, dtype="str"),
            "importer": pd.array(importer, dtype="str"),
            "freq": pd.array(np.array(FREQS, dtype=object)[cells["monthly"]], dtype="str"),
            "year": cells["year"].to_numpy().astype(np.int16),
            "month": pd.arrays.IntegerArray(month.astype(np.int8), month == 0),
        }
    )


def _hs_code(s: Sums, lv: Levels) -> np.ndarray:
    """Each output row's hs_code (a vocabulary id): its code, or in a grouped cell the
    first code the exporter reported in the group (else the importer's)."""
    has_e = s.n[:, EXPORTER] > 0
    first = np.where(has_e, s.first[:, EXPORTER], s.first[:, IMPORTER])
    return np.where(lv.grouped[s.cell], first, s.key)


def _order(s: Sums, cells: pd.DataFrame, hs_code: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """Row order: direction, freq, year, month (missing last), hs_code, then the key (the
    order in which the former outer merge on the key left ties)."""
    by_cell = cells.sort_values(SORT).index.to_numpy()
    cell_rank = np.empty(len(cells), dtype=np.int64)
    cell_rank[by_cell] = np.arange(len(cells))
    keys = (rank[s.key], rank[hs_code], cell_rank[s.cell])
    n = len(rank)
    if len(cells) * n * n >= 2**62:  # too many to pack into one int64 (never, in practice)
        return np.lexsort(keys)
    return np.argsort((keys[2] * n + keys[1]) * n + keys[0], kind="stable")  # 3x lexsort's speed


def _take_cells(cells: pd.DataFrame, at: np.ndarray, compact: bool) -> dict[str, object]:
    """The cells' columns for the output rows (cells `at`)."""
    out = {}
    for name in cells.columns:
        col = cells[name]
        out[name] = (
            text_categorical(col, at) if compact and col.dtype == "str" else col.take(at).array
        )
    return out


def _labels(
    s: Sums, vocab: np.ndarray, lv: Levels, revs: np.ndarray, compact: bool
) -> dict[str, object]:
    """The code columns: hs_code, group_id, each side's codes, the revisions and level."""
    grouped = lv.grouped[s.cell]
    return {
        "hs_code": _text(vocab, _hs_code(s, lv), compact),
        "group_id": _text(vocab, np.where(grouped, s.key, -1), compact),
        "exporter_codes": _text(s.codes_vocab, s.codes[:, EXPORTER], compact),
        "importer_codes": _text(s.codes_vocab, s.codes[:, IMPORTER], compact),
        "match_level": lv.match[s.cell].astype(np.int8),
        "exporter_rev": _text(revs, lv.e_rev[s.cell], compact),
        "importer_rev": _text(revs, lv.i_rev[s.cell], compact),
    }


def _values(s: Sums, compact: bool) -> dict[str, object]:
    """The value columns: both sides, gap, ratio, status, basis, synthetic."""
    has_e, has_i = s.n[:, EXPORTER] > 0, s.n[:, IMPORTER] > 0
    e_value, i_value = s.value[:, EXPORTER], s.value[:, IMPORTER]
    matched = has_e & has_i
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(matched & (e_value > 0), i_value / e_value, np.nan)
    n_cif, n = s.n_cif[:, IMPORTER], s.n[:, IMPORTER]
    basis = np.select([~has_i, n_cif == n, n_cif == 0], np.array([-1, 0, 1], np.int8), 2)
    status = np.select([~has_e, ~has_i], np.array([0, 1], np.int8), 2)
    return {
        "status": _text(np.array(STATUS, dtype=object), status, compact),
        "exporter_fob_usd": e_value,
        "importer_cif_usd": i_value,
        "importer_basis": _text(np.array(BASIS, dtype=object), basis, compact),
        "gap_usd": np.where(matched, i_value - e_value, np.nan),
        "ratio": ratio,
        "synthetic": s.syn.any(axis=1),
    }


def build_mirror(flows: pd.DataFrame, compact: bool = False) -> pd.DataFrame:
    """The mirror table: MIRROR_FIELDS, one row per cell and compared code or group, in
    SORT order then hs_code. `compact`: its text columns as categoricals (the build holds
    and writes it so: a fifth of the memory, the same file)."""
    return _conformed(_columns(flows, compact), compact)


def _columns(flows: pd.DataFrame, compact: bool) -> dict[str, object]:
    """The mirror's columns. Intermediates are released as soon as they are used: only
    the columns are alive when conform() copies them into the table."""
    rows, top = _finest(_rows(flows))
    lv = _levels(rows, top)
    keys = _keys(rows, lv)
    rank = _rank(keys.vocab)
    sums = _sums(rows, keys, rank)
    cells, revs, vocab = _cell_columns(rows.cells), rows.revs, keys.vocab
    del rows, keys  # the per-row arrays: the output's columns are made without them
    sums = sums.take(_order(sums, cells, _hs_code(sums, lv), rank))
    return (
        _take_cells(cells, sums.cell, compact)
        | _labels(sums, vocab, lv, revs, compact)
        | _values(sums, compact)
    )


def _conformed(columns: dict[str, object], compact: bool) -> pd.DataFrame:
    """conform(DataFrame(columns), MIRROR_FIELDS) without its copy: the columns, already
    of their schema dtypes (astype is then a no-op view), are inserted one at a time in
    schema order. conform() builds its frame from a dict, which copies the numeric
    columns into blocks: 6 MiB more at the peak for the bench's 185k rows (46 -> 40)."""
    frame = pd.DataFrame(index=pd.RangeIndex(len(columns["direction"])))
    for f in MIRROR_FIELDS:
        col = pd.Series(columns[f.name], index=frame.index, copy=False)
        frame[f.name] = col if compact and f.dtype == "str" else col.astype(f.dtype)
    return frame
