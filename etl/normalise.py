"""Type every cell of a raw export with polars: dates, numbers, enums, places, dispute types, PII.

A value that cannot be read as its type becomes an issue (file row, column, rule, masked
value); it is never guessed. So does a value the warehouse's column cannot hold (a cell longer
than its column accepts, a number beyond the column's capacity): the row is quarantined, the
night goes on. Rules that compare a typed value with the contract (required, enum sets,
ranges, plausible dates, column pairs) are left to the Great Expectations suites in expectations/.

Personal data: identity numbers are hashed, names masked, phones dropped; every other text column, and every value
shown in quarantine, has the identity and mobile numbers it may hold masked (etl/pii.py mask_numbers).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache

import polars as pl

from etl import places, reference
from etl.contract import INT_RANGE, MONEY_LIMIT, Column, Dataset, max_length
from etl.pii import mask_id, mask_id_list, mask_names, mask_numbers, mask_phone
from etl.read import FULLWIDTH, ROW, RawTable

# detail: what a person needs beyond the value, e.g. the places an ambiguous name could be
ISSUE_SCHEMA = {ROW: pl.Int64, "column": pl.String, "rule": pl.String, "value": pl.String, "detail": pl.String}
YES_NO_FORMS = {"Y": "是", "y": "是", "1": "是", "√": "是", "N": "否", "n": "否", "0": "否"}
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
EXCEL_EPOCH = pl.date(1899, 12, 30)
LIST_SEPARATORS = r"[、,;；/]+"
PREVIEW = 20  # characters of an over-long cell shown in quarantine
HASH_SUFFIX = "_hmac"  # output columns holding keyed hashes of identity numbers


@dataclass
class Normalised:
    frame: pl.DataFrame    # one row per readable data row: _row plus the landing columns
    issues: pl.DataFrame   # _row, column, rule, value (personal data masked), detail


def _fold(e: pl.Expr) -> pl.Expr:
    return e.str.replace_many(FULLWIDTH)


def _blank(e: pl.Expr) -> pl.Expr:
    return pl.when(e.str.len_chars() > 0).then(e)


def _compact(e: pl.Expr) -> pl.Expr:
    return _blank(_fold(e).str.replace_all(r"\s+", ""))


def _number(e: pl.Expr, decimals: bool) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(value, written as a number, fits the column): a number the column cannot hold is null, never cut down.

    Digits are ASCII after folding: the regex's \\d would also take Arabic or Devanagari digits, which no cast reads.
    """
    t = _fold(e).str.replace_all(r"[,\s元]", "")
    if decimals:
        ok = t.str.contains(r"^[+-]?[0-9]+(\.[0-9]+)?$")
        value = t.cast(pl.Float64, strict=False).round(2)   # rounded first: 999999999999.995 becomes 1e12
        fits = value.abs() < MONEY_LIMIT                      # inf too
    else:
        ok = t.str.contains(r"^[+-]?[0-9]+(\.0+)?$")
        value = t.str.replace(r"\.0+$", "").str.replace(r"^\+", "").cast(pl.Int64, strict=False)
        fits = value.is_between(*INT_RANGE)                   # null beyond Int64: out of range as well
    fits = ok & fits.fill_null(False)
    return pl.when(fits).then(value), ok, fits


def _datetime(e: pl.Expr) -> pl.Expr:
    """Every date form of the contract, as a datetime (null where it is not a valid date)."""
    t = _compact_keep_space(e)
    serial = t.str.contains(r"^\d{5}(\.\d+)?$")
    days = t.cast(pl.Float64, strict=False)
    from_serial = EXCEL_EPOCH.cast(pl.Datetime("us")) + pl.duration(microseconds=(days * 86_400_000_000).round(0))
    compact = t.str.replace(r"^(\d{4})(\d{2})(\d{2})$", "$1-$2-$3")
    generic = compact.str.replace_all(r"[年月/.]", "-").str.replace_all("日", "").str.replace_all(r"T", " ")
    parts = generic.str.extract_groups(
        r"^(\d{4})-(\d{1,2})-(\d{1,2})(?: +(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?(?:\.\d+)?)?$")
    pad = lambda i, default="00": parts.struct.field(str(i)).fill_null(default).str.zfill(2)  # noqa: E731
    text = pl.concat_str([parts.struct.field("1"), pl.lit("-"), pad(2), pl.lit("-"), pad(3), pl.lit(" "),
                          pad(4), pl.lit(":"), pad(5), pl.lit(":"), pad(6)])
    parsed = text.str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S", strict=False)
    return pl.when(serial).then(from_serial).otherwise(parsed)


# The forms a system export writes (2023-09-26 00:00:00, 2023-09-26), in ASCII digits: read by one strptime. They are
# exactly the text _datetime normalises every other form to, so the result is the same; only the other rows (slashes,
# 年月日, serial numbers, full-width digits …) go through the general expression.
_EXPORT_FORMS = ((r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$", "%Y-%m-%d %H:%M:%S"),
                 (r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "%Y-%m-%d"))


def datetimes(text: pl.Series) -> pl.Series:
    """_datetime over a column, the general expression applied only to the cells not in an export's own form."""
    t = pl.col("t")
    fast = pl.DataFrame({"t": text}).select(pl.coalesce(
        pl.when(t.str.contains(pattern)).then(t.str.strptime(pl.Datetime("us"), fmt, strict=False))
        for pattern, fmt in _EXPORT_FORMS)).to_series()
    rest = (fast.is_null() & text.is_not_null()).arg_true()
    if rest.len():
        fast = fast.scatter(rest, pl.DataFrame({"t": text.gather(rest)}).select(_datetime(t)).to_series())
    return fast.alias(text.name)


def _compact_keep_space(e: pl.Expr) -> pl.Expr:
    return _fold(e).str.strip_chars().str.replace_all(r"\s+", " ")


def _month(e: pl.Expr) -> pl.Expr:
    t = _compact(e)
    ym = t.str.extract_groups(r"^(\d{4})(?:[-/.年])?(\d{1,2})月?$")
    text = pl.concat_str([ym.struct.field("1"), pl.lit("-"), ym.struct.field("2").str.zfill(2), pl.lit("-01")])
    by_month = text.str.strptime(pl.Date, "%Y-%m-%d", strict=False)
    as_date = _datetime(e).dt.date()  # a date cell (2023-03-01 00:00:00) names its month too
    return by_month.fill_null(as_date.dt.truncate("1mo"))


def _id_rule(t: pl.Expr) -> pl.Expr:
    """id18_format / id18_checksum / null, for an id already stripped and upper-cased."""
    total = pl.sum_horizontal([t.str.slice(i, 1).cast(pl.Int64, strict=False) * w for i, w in enumerate(ID_WEIGHTS)])
    expected = (total % 11).replace_strict({i: c for i, c in enumerate(ID_CHECK)}, return_dtype=pl.String)
    return (pl.when(~t.str.contains(r"^\d{17}[\dX]$")).then(pl.lit("id18_format"))
            .when(t.str.slice(17, 1) != expected).then(pl.lit("id18_checksum")))


def _id_clean(e: pl.Expr) -> pl.Expr:
    return _fold(e).str.replace_all(r"\s+", "").str.to_uppercase()


def _hmac_map(values: pl.Series, key: bytes) -> dict[str, str]:
    """HMAC-SHA256 (RFC 2104) of each distinct value, hex. The key's inner and outer pads are hashed once and copied
    per value: the same digest as hmac.new(key, value, sha256), in about half the time (a province's year of cases
    holds millions of identity numbers)."""
    block = hashlib.sha256().block_size
    padded = (hashlib.sha256(key).digest() if len(key) > block else key).ljust(block, b"\0")
    inner, outer = hashlib.sha256(bytes(b ^ 0x36 for b in padded)), hashlib.sha256(bytes(b ^ 0x5C for b in padded))
    out = {}
    for value in values.drop_nulls().unique():
        i = inner.copy()
        i.update(value.encode())
        o = outer.copy()
        o.update(i.digest())
        out[value] = o.hexdigest()
    return out


@cache
def _dispute_lookup() -> dict[str, tuple[str, str]]:
    table: dict[str, tuple[str, str]] = {}
    for code, name, aliases in reference.dispute_types().select("code", "name", "aliases").iter_rows():
        for alias in [name, *(aliases or "").split("|")]:
            if alias:
                table.setdefault(alias, (code, name))
    return table


def _issue_frame(frame: pl.DataFrame, column: str, rule: pl.Expr, value: pl.Expr) -> pl.DataFrame:
    return (frame.select(pl.col(ROW), pl.lit(column).alias("column"), rule.alias("rule"),
                         value.cast(pl.String).alias("value"), pl.lit(None, pl.String).alias("detail"))
            .filter(pl.col("rule").is_not_null()))


class _Normaliser:
    def __init__(self, raw: RawTable, hmac_key: bytes):
        self.ds: Dataset = raw.dataset
        self.raw = raw.frame
        missing = [c.name for c in self.ds.columns if c.name not in self.raw.columns]
        self.raw = self.raw.with_columns(pl.lit(None, pl.String).alias(c) for c in missing)
        self.key = hmac_key
        self.out: dict[str, pl.Series] = {ROW: self.raw[ROW]}
        self.issues: list[pl.DataFrame] = []
        self.too_long()

    def too_long(self) -> None:
        """A cell longer than its column accepts is quarantined and then read as empty: no other rule reports it
        again, and neither the warehouse nor the quarantine table holds a pasted document."""
        long = {c.name: pl.col(c.name).str.len_chars() > max_length(c) for c in self.ds.columns}
        found = self.raw.select(cond.any().alias(name) for name, cond in long.items()).row(0, named=True)
        for c in (c for c in self.ds.columns if found[c.name]):   # one pass over the file; a column each only if hit
            self.flag(c, pl.when(long[c.name]).then(pl.lit("too_long")), _preview(pl.col(c.name), c.pii))
            self.raw = self.raw.with_columns(pl.when(~long[c.name]).then(pl.col(c.name)).alias(c.name))

    def flag(self, column: Column, rule: pl.Expr, shown: pl.Expr | None = None) -> None:
        shown = pl.col(column.name) if shown is None else shown
        self.issues.append(_issue_frame(self.raw, column.name, rule, shown))

    def series(self, expr: pl.Expr) -> pl.Series:
        return self.raw.select(expr).to_series()

    def column(self, c: Column) -> None:
        raw = pl.col(c.name)
        present = _blank(raw.str.strip_chars()).is_not_null()
        if c.type in ("text", "enum") and not c.place:
            value = _compact(raw) if c.type == "enum" else _blank(raw.str.strip_chars())
            if c.type == "enum" and set(c.enum) == {"是", "否"}:
                # √/empty: where a file marks 是 with √, an empty cell means 否.
                ticks = self.series(raw.str.strip_chars() == "√").any()
                value = value.replace(YES_NO_FORMS)
                if ticks:
                    value = value.fill_null(pl.lit("否"))
            self.out[c.name] = self.series(value)
        elif c.place:
            return  # resolved together, county first, in places()
        elif c.type in ("int", "money"):
            value, ok, fits = _number(raw, decimals=c.type == "money")
            self.flag(c, pl.when(present & ~ok).then(pl.lit("number_format"))
                      .when(present & ~fits).then(pl.lit("out_of_range")))
            self.out[c.name] = self.series(value)
        elif c.type in ("date", "datetime"):
            value = datetimes(self.raw[c.name])
            self.flag(c, pl.when(present & pl.lit(value).is_null()).then(pl.lit("date_format")))
            self.out[c.name] = value.dt.date() if c.type == "date" else value
        elif c.type == "month":
            value = _month(raw)
            self.flag(c, pl.when(present & value.is_null()).then(pl.lit("month_format")))
            self.out[c.name] = self.series(value)
        elif c.type == "dispute_type":
            given = self.series(_compact(raw))
            lookup = _dispute_lookup()
            codes = given.replace_strict({k: v[0] for k, v in lookup.items()}, default=None, return_dtype=pl.String)
            names = given.replace_strict({k: v[1] for k, v in lookup.items()}, default=None, return_dtype=pl.String)
            self.flag(c, pl.when(present & codes.is_null()).then(pl.lit("dispute_type")))
            self.out[c.name] = names
            self.out[c.name + "_code"] = codes
        elif c.type == "id18":
            t = _id_clean(raw)
            self.flag(c, pl.when(present).then(_id_rule(t)), mask_id(raw))
            valid = self.series(pl.when(present & _id_rule(t).is_null()).then(t))
            self.out[c.name + HASH_SUFFIX] = valid.replace_strict(_hmac_map(valid, self.key), default=None,
                                                                  return_dtype=pl.String)
            self.out[c.name + "_sex"] = self.series(
                pl.when(valid.is_not_null()).then(
                    pl.when(t.str.slice(16, 1).cast(pl.Int64, strict=False) % 2 == 1).then(pl.lit("男"))
                    .otherwise(pl.lit("女"))))
            self.out[c.name + "_birth_year"] = self.series(
                pl.when(valid.is_not_null()).then(t.str.slice(6, 4).cast(pl.Int32, strict=False)))
        elif c.type == "id18_list":
            self._id_list(c)
        elif c.type in ("name", "name_list"):
            self.out[c.name + "_mask"] = self.series(mask_names(_blank(raw.str.strip_chars())))
        elif c.type == "phone":
            t = _fold(raw).str.replace_all(r"[\s-]", "")
            ok = t.str.contains(r"^(1\d{10}|0\d{9,11}|\d{7,8})$")
            self.flag(c, pl.when(present & ~ok).then(pl.lit("phone_format")), mask_phone(raw))
            # phones are dropped: nothing goes to the output
        else:  # pragma: no cover - the contract names no other type
            raise ValueError(f"unknown column type {c.type}")

    def _id_list(self, c: Column) -> None:
        items = (self.raw.select(ROW, _id_clean(pl.col(c.name)).str.replace_all(LIST_SEPARATORS, "、")
                                 .str.split("、").alias("id"))
                 .explode("id").with_columns(_blank(pl.col("id")).alias("id")))
        items = items.with_columns(pl.when(pl.col("id").is_not_null()).then(_id_rule(pl.col("id"))).alias("rule"))
        bad = items.filter(pl.col("rule").is_not_null()).group_by(ROW, maintain_order=True).agg(pl.col("rule").first())
        self.issues.append(self.raw.join(bad, on=ROW, how="inner").select(
            ROW, pl.lit(c.name).alias("column"), "rule",
            mask_id_list(pl.col(c.name)).alias("value"),
            pl.lit(None, pl.String).alias("detail")))
        mapping = _hmac_map(items["id"], self.key)
        hashed = (items.with_columns(pl.col("id").replace_strict(mapping, default=None, return_dtype=pl.String))
                  .group_by(ROW, maintain_order=True).agg(pl.col("id").drop_nulls()))
        self.out[c.name + HASH_SUFFIX] = self.raw.select(ROW).join(hashed, on=ROW, how="left",
                                                                   maintain_order="left")["id"]

    def places(self) -> None:
        parent: pl.Series | None = None
        for c in (x for x in self.ds.columns if x.place):
            names = self.series(_blank(pl.col(c.name).str.strip_chars())).cast(pl.String)
            resolved = places.resolve(c.place, names, None if c.place == "county" else parent)
            f = pl.DataFrame({ROW: self.raw[ROW], "name": names, "code": resolved["code"],
                              "detail": resolved["detail"],
                              "parent_ok": pl.repeat(True, len(names), eager=True) if parent is None
                              else parent.is_not_null()})
            # Without a resolved parent a child cannot be judged: the parent's issue is the one shown.
            rule = (pl.when(pl.col("name").is_null()).then(None)
                    .when(pl.col("code") == places.CITY).then(pl.lit("city_not_county"))
                    .when(pl.col("code") == places.AMBIGUOUS).then(pl.lit("ambiguous_place"))
                    .when(pl.col("code").is_null() & pl.col("parent_ok")).then(pl.lit("unknown_place")))
            self.issues.append(f.select(ROW, pl.lit(c.name).alias("column"), rule.alias("rule"),
                                        pl.col("name").alias("value"), "detail")
                               .filter(pl.col("rule").is_not_null()))
            parent = f.select(pl.when(places.is_code(pl.col("code"))).then(pl.col("code"))).to_series()
            self.out[c.name] = names
            self.out[c.name + "_code"] = parent

    def run(self) -> Normalised:
        for c in self.ds.columns:
            self.column(c)
        self.places()
        frame = pl.DataFrame(self.out)
        # Any text may hold an identity or mobile number (a note, a name, a value shifted into the wrong column): every
        # text column is masked before it is validated or stored, except the keyed hashes: a hash is hex and may hold
        # 15 or 18 decimal digits in a row between two letters, which the mask would take for an identity number.
        frame = frame.with_columns(mask_numbers(pl.col(name)) for name, dtype in frame.schema.items()
                                   if dtype == pl.String and not name.endswith(HASH_SUFFIX))
        issues = pl.concat([i.cast(ISSUE_SCHEMA) for i in self.issues], how="vertical") if self.issues else \
            pl.DataFrame(schema=ISSUE_SCHEMA)
        # the value shown in quarantine, whatever its column and rule: the same mask as the stored text
        issues = issues.with_columns(mask_numbers(pl.col("value")), mask_numbers(pl.col("detail")))
        return Normalised(frame, issues.sort(ROW))


def _preview(e: pl.Expr, pii: bool) -> pl.Expr:
    """An over-long cell as quarantine shows it: its start and its length; nothing of a personal-data column, and no
    run of digits that could be part of an identity or phone number."""
    head = pl.lit("") if pii else e.str.slice(0, PREVIEW).str.replace_all(r"[0-9]{6,}", "******")
    return pl.format("{}…(共{}字)", head, e.str.len_chars())


def normalise(raw: RawTable, hmac_key: bytes) -> Normalised:
    return _Normaliser(raw, hmac_key).run()
