"""A synthetic census: realistic, valid household records, made with numpy, deterministic per seed.

``synth_tables(n, seed=…)`` returns the two batch tables of docs/household-record.md (households,
members) for ``n`` households of one province (Hà Tĩnh, "42", by default); ``synth_households``
yields the same households as canonical records; ``synth_national_chunks`` streams a national
census over all 3,321 communes in chunks of bounded size. Everything is generated column-wise
with numpy — no Python loop over households — so a million households take seconds.

How a household is drawn (all synthetic; no real person is described):

* **Where.** Communes are weighted by area and kind (phường denser); villages (thôn for a xã, tổ
  dân phố for a phường) share their commune's weight. Phường are urban, xã rural.
* **Who.** A household type (single elder, elderly couple, single adult, nuclear, three
  generations, grandparents with grandchildren, elders living with a married child) fixes the
  roster; ages follow from the head's age; schooling, diplomas, work, insurance and nutrition
  (under-16s only) follow from age and the household's hardship.
* **How well off.** One latent welfare value per household drives both the 12-month income and
  the chance of each deprivation (housing, water, latrine, schooling, insurance …), so income
  and deprivations are correlated as in real reviews. A commune effect makes the western
  mountain communes (low longitude, large area — read from communes.csv) poorer and the wards
  richer. Hà Tĩnh's small Chứt, Lào ("other") and Thái minorities live in the western border
  communes.
* **Calibration.** Two constants, ``INCOME_SHIFT`` and ``DEPRIVATION_SHIFT``, were tuned so that
  scoring a large Hà Tĩnh sample under vn-2022 gives the province's end-2024 figures: 2.40 %
  poor and 3.04 % near-poor (docs/benchmarks.md records the measured figures).

Pure: no file writes. The same ``(n, seed, province)`` always gives the same tables; the
commune effects do not depend on the seed, so samples of different seeds share one geography.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from survey_forms.communes import Commune, all_communes, province_communes
from survey_forms.questionnaire import FORM_ID, FORM_VERSION

__all__ = [
    "BLOCK_SIZE",
    "DEPRIVATION_SHIFT",
    "INCOME_SHIFT",
    "synth_households",
    "synth_national_chunks",
    "synth_tables",
]

# -- calibration (tuned on 400k Hà Tĩnh households under vn-2022; see docs/benchmarks.md) --------
INCOME_SHIFT = 0.155  # added to every household's log income per capita
DEPRIVATION_SHIFT = -0.21  # added to the logit of every deprivation-driving answer
INCOME_SIGMA = 0.55  # spread of log income per capita around the commune's level
BASE_RURAL_INCOME = 4_000_000  # median monthly income per person, an average rural commune (VND)

SURVEY_YEAR = 2026
REVIEW_START = dt.date(2026, 9, 1)  # the annual review opens on 1 September
REVIEW_DAYS = 61  # interviews spread over September and October
BLOCK_SIZE = (
    100_000  # households per numpy block: bounds memory, fits caches; fixed so streams match
)
ROUND = "2026-annual"
MAX_VND = 1_900_000_000  # below the questionnaire's per-source maximum

# -- vocabularies (a test checks each against survey_forms.QUESTIONNAIRE) ------------------------
RELATIONS = tuple("head spouse child child_in_law grandchild parent sibling other".split())
SEXES = tuple("male female".split())
ETHNICITIES = tuple("kinh tay thai muong khmer hmong nung dao chut other".split())
DISABILITIES = tuple("none mild severe especially_severe".split())
SCHOOL_LEVELS = tuple("preschool primary lower_secondary upper_secondary vocational higher".split())
DIPLOMAS = tuple("none primary lower_secondary upper_secondary college university".split())
WORK = tuple(
    "wage_worker self_employed farmer unemployed "
    "student homemaker retired unable_to_work child".split()
)
NUTRITION = tuple("normal stunted underweight wasted".split())
WALLS = tuple("concrete_brick stone hardwood metal earth bamboo_leaves tarpaulin_other".split())
FRAMES = tuple("reinforced_concrete steel brick_stone hardwood softwood_bamboo none_other".split())
ROOFS = tuple("concrete tile metal_sheet fibre_cement thatch_leaves tarpaulin_other".split())
WATER = tuple(
    "piped drilled_well protected_dug_well unprotected_dug_well protected_spring "
    "unprotected_spring rainwater bottled surface_water vendor_other".split()
)
LATRINES = tuple(
    "septic semi_septic pour_flush double_vault "
    "ventilated_pit biogas simple_pit over_water none".split()
)
DEVICES = tuple("tv radio computer smartphone tablet landline basic_phone".split())
WASTE = tuple("collected sorted_composted buried_burned_own discarded".split())
FUELS = tuple("electricity_gas biogas charcoal_coal wood_straw_dung none".split())
SOURCES = tuple("wages agriculture business pensions social_allowances remittances other".split())

FAMILY = (
    "Nguyễn", "Trần", "Lê", "Phan", "Võ", "Đặng", "Hồ", "Bùi", "Dương", "Đinh",
    "Phạm", "Hoàng", "Ngô", "Thái", "Đào", "Hà", "Lưu", "Tôn", "Kha", "Lô",
)  # fmt: skip
MIDDLE = {
    "male": ("Văn", "Đình", "Hữu", "Đức", "Minh", "Quang"),
    "female": ("Thị", "Ngọc", "Thu", "Hồng", "Mai", "Thanh"),
}
_MIDDLE_DRAW = {"male": np.arange(6), "female": np.array([0, 0, 0, 1, 2, 3, 4, 5])}  # Thị common
GIVEN = {
    "male": (
        "An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Khánh", "Long", "Minh", "Nam",
        "Phong", "Quân", "Sơn", "Thắng", "Tuấn", "Việt", "Hoàng", "Trung", "Đạt", "Kiên",
    ),
    "female": (
        "Anh", "Bích", "Cúc", "Dung", "Hà", "Hạnh", "Hoa", "Hương", "Lan", "Linh",
        "Mai", "Nga", "Nhung", "Phương", "Quỳnh", "Thảo", "Trang", "Vân", "Yến", "Hằng",
    ),
}  # fmt: skip
_MINORITY_FAMILY = np.array([6, 9, 18, 19, 16])  # Hồ, Đinh, Kha, Lô, Lưu — common in the west

# Hà Tĩnh's ethnic minorities (a few hundred households): Chứt in the west of Hương Khê, Lào
# ("other" in the questionnaire) and Thái along the Laos border of Hương Sơn. Share of households.
HA_TINH_MINORITIES: dict[str, dict[str, float]] = {
    "18196": {"other": 0.030, "thai": 0.010},  # Sơn Kim 1
    "18199": {"other": 0.020, "thai": 0.008},  # Sơn Kim 2
    "18160": {"other": 0.004},  # Sơn Hồng
    "18544": {"chut": 0.030},  # Hương Xuân (former Hương Liên: the Chứt of Rào Tre)
    "18523": {"chut": 0.002},  # Hương Bình
    "18313": {"thai": 0.002},  # Vũ Quang
}
_SCATTERED_MINORITY = 0.0005  # households of other groups married in or moved anywhere


# -- small helpers ---------------------------------------------------------------------------
def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _uniform(rng: np.random.Generator, size: int) -> np.ndarray:
    return rng.random(size, dtype=np.float32)  # half the cost of float64; precision is ample


def _draw(rng: np.random.Generator, logit: np.ndarray | float, size: int) -> np.ndarray:
    """One Bernoulli draw per row with the given log-odds."""
    return _uniform(rng, size) < _sigmoid(np.asarray(logit, dtype=np.float32))


def _pick(rng: np.random.Generator, probs: dict[str, float], size: int, vocab) -> np.ndarray:
    """Codes (indices into ``vocab``) drawn from fixed probabilities, vectorised."""
    codes = np.array([vocab.index(k) for k in probs], dtype=np.int8)
    cum = np.cumsum(np.array(list(probs.values()), dtype=np.float64))
    cum /= cum[-1]
    cum = cum.astype(np.float32)
    return codes[np.minimum(np.searchsorted(cum, _uniform(rng, size), side="right"), len(cum) - 1)]


def _cat(codes: np.ndarray, vocab: tuple[str, ...]) -> pd.Categorical:
    return pd.Categorical.from_codes(codes.astype(np.int8), categories=list(vocab))


# -- geography ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Geo:
    """Communes and villages of a synthetic population, fixed whatever the seed."""

    commune_code: np.ndarray  # object, per commune
    province_code: np.ndarray  # object, per commune
    urban: np.ndarray  # bool, per commune
    remote: np.ndarray  # 0 (coast, ward) … 1 (western mountains), per commune
    mu: np.ndarray  # log income per capita per month, per commune (before INCOME_SHIFT)
    minority: np.ndarray  # share of minority households, per commune
    minority_table: np.ndarray  # (communes, ethnicities) probabilities among minority households
    lat: np.ndarray
    lon: np.ndarray
    spread: np.ndarray  # degrees, GPS scatter around the centroid
    v_commune: np.ndarray  # per village: its commune
    v_weight: np.ndarray  # per village: probability a household lives there
    v_name: np.ndarray  # per village: index into village_names
    v_prefix: np.ndarray  # per village: household id prefix "18496-thon-3-"
    v_address: np.ndarray  # per village: index into addresses ("Thôn 3, Xã Hương Khê")
    v_enumerator: np.ndarray  # per village: index into enumerators (reviewer ids)
    addresses: pd.Index
    enumerators: pd.Index
    province_index: np.ndarray  # per commune: index into provinces
    provinces: pd.Index
    village_names: tuple[str, ...]


_MAX_VILLAGES = 60
_VILLAGE_NAMES = tuple(f"Thôn {i}" for i in range(1, _MAX_VILLAGES + 1)) + tuple(
    f"Tổ dân phố {i}" for i in range(1, _MAX_VILLAGES + 1)
)


def _rank01(values: np.ndarray) -> np.ndarray:
    span = values.max() - values.min() if len(values) else 0
    return (values - values.min()) / span if span > 0 else np.zeros_like(values)


def _commune_arrays(communes: list[Commune]) -> dict[str, np.ndarray]:
    areas = np.array([c.area_km2 or np.nan for c in communes], dtype=np.float64)
    areas = np.where(np.isnan(areas), np.nanmedian(areas) if len(areas) else 50.0, areas)
    return {
        "area": areas,
        "lat": np.array([np.nan if c.lat is None else c.lat for c in communes]),
        "lon": np.array([np.nan if c.lon is None else c.lon for c in communes]),
        "ward": np.array([c.kind == "phuong" for c in communes]),
        "special": np.array([c.kind == "dac_khu" for c in communes]),
    }


def _remoteness(a: dict[str, np.ndarray], provinces: np.ndarray) -> np.ndarray:
    """0..1 within each province: further west and larger (mountain) communes are more remote."""
    remote = np.zeros(len(provinces))
    for code in np.unique(provinces):
        sel = provinces == code
        lon = a["lon"][sel]
        west = 1 - _rank01(np.where(np.isnan(lon), np.nanmean(lon), lon))
        size = _rank01(np.log(a["area"][sel]))
        remote[sel] = 0.6 * west + 0.4 * size
    return np.where(a["ward"], 0.3 * remote, remote)


def _minorities(communes: list[Commune], remote: np.ndarray, lat: np.ndarray):
    share = np.zeros(len(communes))
    table = np.zeros((len(communes), len(ETHNICITIES)))
    north = ("tay", "nung", "thai", "hmong", "dao", "muong")
    for i, c in enumerate(communes):
        if c.province_code == "42":
            groups = HA_TINH_MINORITIES.get(c.commune_code, {"other": _SCATTERED_MINORITY})
        elif not np.isnan(lat[i]) and lat[i] < 11.5:
            groups = {"khmer": 0.5 * remote[i] ** 2 + 0.01}
        elif not np.isnan(lat[i]) and lat[i] > 20:
            groups = {north[i % len(north)]: 0.7 * remote[i] ** 2, "other": 0.01}
        else:
            groups = {"other": 0.4 * remote[i] ** 2 + 0.002}
        share[i] = sum(groups.values())
        for name, p in groups.items():
            table[i, ETHNICITIES.index(name)] = p / share[i]
    return share, table


def _villages(communes: list[Commune], weight: np.ndarray, ward: np.ndarray) -> dict[str, Any]:
    relative = weight / weight.mean()
    counts = np.clip(np.round(relative * 24), 6, _MAX_VILLAGES).astype(np.int64)
    v_commune = np.repeat(np.arange(len(communes)), counts)
    number = np.arange(len(v_commune)) - np.repeat(np.cumsum(counts) - counts, counts) + 1
    prefix, address, enumerator, name = [], [], [], []
    for ci, k in zip(v_commune, number, strict=True):
        c = communes[ci]
        label = f"Tổ dân phố {k}" if ward[ci] else f"Thôn {k}"
        slug = f"tdp-{k}" if ward[ci] else f"thon-{k}"
        name.append(_VILLAGE_NAMES.index(label))
        prefix.append(f"{c.commune_code}-{slug}-")
        address.append(f"{label}, {c.name}")
        enumerator.append(f"rsv-{c.commune_code}-{(k - 1) // 3 + 1:02d}")
    v_weight = (weight / counts)[v_commune]
    return {
        "v_commune": v_commune,
        "v_weight": v_weight / v_weight.sum(),
        "v_name": np.array(name, dtype=np.int64),
        "v_prefix": np.array(prefix, dtype=object),
        **_factorized("v_address", "addresses", address),
        **_factorized("v_enumerator", "enumerators", enumerator),
    }


def _factorized(codes_key: str, values_key: str, values: list[str]) -> dict[str, Any]:
    codes, uniques = pd.factorize(np.array(values, dtype=object))
    return {codes_key: codes, values_key: pd.Index(uniques)}


def _build_geo(communes: list[Commune]) -> _Geo:
    if not communes:
        raise ValueError("no communes: unknown province code / không có xã nào: sai mã tỉnh")
    a = _commune_arrays(communes)
    provinces = np.array([c.province_code for c in communes], dtype=object)
    remote = _remoteness(a, provinces)
    weight = a["area"] ** 0.4 * np.where(a["ward"], 1.8, 1.0) * np.where(a["special"], 0.6, 1.0)
    # a fixed, seed-independent commune effect: the same geography for every sample
    noise = np.random.default_rng(4242).normal(0.0, 0.08, len(communes))
    mu = math.log(BASE_RURAL_INCOME) - 0.55 * remote + np.where(a["ward"], 0.35, 0.0) + noise
    share, table = _minorities(communes, remote, a["lat"])
    spread = np.sqrt(a["area"]) / 111.0 / 3.0
    return _Geo(
        commune_code=np.array([c.commune_code for c in communes], dtype=object),
        province_code=provinces,
        **_factorized("province_index", "provinces", list(provinces)),
        urban=a["ward"],
        remote=remote,
        mu=mu,
        minority=share,
        minority_table=table,
        lat=a["lat"],
        lon=a["lon"],
        spread=spread,
        village_names=_VILLAGE_NAMES,
        **_villages(communes, weight, a["ward"]),
    )


@cache
def _geography(province: str | None) -> _Geo:
    if province is None:
        communes = sorted(all_communes().values(), key=lambda c: c.commune_code)
    else:
        communes = province_communes(province)
    return _build_geo(communes)


# -- households --------------------------------------------------------------------------------
# household types: single elder, elderly couple, single adult, nuclear, three generations,
# grandparents raising grandchildren, elders living with a married child and grandchildren
_TYPES = ("single_elder", "elder_couple", "single_adult", "nuclear", "three_gen", "skip_gen", "ext")
_TYPE_P = np.array([0.06, 0.08, 0.03, 0.52, 0.18, 0.04, 0.09])


def _household_types(rng, s: np.ndarray) -> np.ndarray:
    # hardship raises the share of elders living alone (a large group among the poor)
    logit_alone = np.log(_TYPE_P[0] / (1 - _TYPE_P[0])) + 0.35 * s
    alone = _draw(rng, logit_alone, len(s))
    rest = _TYPE_P[1:] / _TYPE_P[1:].sum()
    other = np.searchsorted(np.cumsum(rest), rng.random(len(s)) * 0.999999, side="right") + 1
    return np.where(alone, 0, other).astype(np.int8)


def _roster_counts(rng, kind: np.ndarray, s: np.ndarray) -> dict[str, np.ndarray]:
    """Members of each relation per household, and the head's age."""
    H = len(kind)
    z = {r: np.zeros(H, dtype=np.int64) for r in RELATIONS[1:]}
    u = rng.random(H)
    head_age = np.empty(H)
    kids = np.minimum(rng.poisson(0.9 + 0.25 * np.clip(s, 0, None), H) + 1, 6)
    for t, (lo, hi) in enumerate(
        [(62, 92), (60, 88), (20, 59), (22, 58), (30, 62), (55, 82), (55, 80)]
    ):
        sel = kind == t
        head_age[sel] = lo + (hi - lo) * rng.beta(1.6, 2.0, sel.sum())
    z["spouse"] = np.isin(kind, [1, 3, 4, 5, 6]) & (u < np.where(kind == 1, 1.0, 0.88))
    z["child"] = np.where(np.isin(kind, [3, 4]), kids, 0)
    z["child"] = np.where(kind == 3, np.where(u < 0.12, 0, z["child"]), z["child"])
    z["child"] = np.where(kind == 6, 1 + (u < 0.3), z["child"])
    z["child_in_law"] = (kind == 6).astype(np.int64)
    z["grandchild"] = np.where(kind == 5, 1 + rng.integers(0, 3, H), 0)
    z["grandchild"] = np.where(kind == 6, np.minimum(kids, 4), z["grandchild"])
    z["parent"] = np.where(kind == 4, 1 + (rng.random(H) < 0.45), 0)
    extra = rng.random(H)
    z["sibling"] = ((kind >= 2) & (extra < 0.02)).astype(np.int64)
    z["other"] = ((kind >= 2) & (extra > 0.99)).astype(np.int64)
    return {"head_age": np.round(head_age).astype(np.int64), **z}


def _layout(counts: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Members as (household index, relation code, position) arrays; head first."""
    order = ["head", "spouse", "parent", "child", "child_in_law", "grandchild", "sibling", "other"]
    per = np.stack(
        [np.ones_like(counts["head_age"])] + [counts[r].astype(np.int64) for r in order[1:]], axis=1
    )  # (H, roles)
    n = per.sum(axis=1)
    hidx = np.repeat(np.arange(len(n)), n)
    pos = np.arange(len(hidx)) - np.repeat(np.cumsum(n) - n, n)
    codes = np.array([RELATIONS.index(r) for r in order], dtype=np.int8)
    rel = np.repeat(np.tile(codes, len(n)), per.ravel())
    return hidx, rel, pos


def _ages(rng, rel: np.ndarray, head_age: np.ndarray) -> np.ndarray:
    M = len(rel)
    u = _uniform(rng, M)
    ha = head_age.astype(np.float64)
    age = ha.copy()
    gap_child = 20 + u * np.clip(np.minimum(40, ha) - 20, 0, None)
    gap_grand = 40 + u * np.clip(np.minimum(66, ha) - 40, 0, None)
    r = RELATIONS.index
    age = np.where(rel == r("spouse"), ha + rng.normal(-2.5, 4.0, M), age)
    age = np.where(rel == r("parent"), ha + 20 + 15 * u, age)
    age = np.where(rel == r("child"), ha - gap_child, age)
    age = np.where(rel == r("child_in_law"), ha - 20 - 12 * u, age)
    age = np.where(rel == r("grandchild"), ha - gap_grand, age)
    age = np.where(rel >= r("sibling"), ha + rng.normal(0, 8, M), age)
    age = np.where(rel == r("spouse"), np.maximum(age, 18), age)
    age = np.where(rel == r("child_in_law"), np.maximum(age, 18), age)
    return np.clip(np.round(age), 0, 100).astype(np.int64)


def _sexes(rng, rel: np.ndarray, hidx: np.ndarray, kind: np.ndarray) -> np.ndarray:
    male_head_p = np.where(kind == 0, 0.35, 0.78)
    head_male = rng.random(len(kind)) < male_head_p
    male = _uniform(rng, len(rel)) < 0.5
    male = np.where(rel == 0, head_male[hidx], male)
    return np.where(rel == 1, ~head_male[hidx], male)


# -- members' answers --------------------------------------------------------------------------
def _piecewise(*steps: tuple[int, float]) -> np.ndarray:
    """A value per age 0..100 from (last age, value) steps in increasing age order."""
    table, low = np.empty(101), 0
    for high, value in steps:
        table[low : high + 1] = value
        low = high + 1
    return table


# Per-age tables (index = age): log-odds of NOT attending school = base + slope × hardship
# (+ DEPRIVATION_SHIFT where the children's-schooling indicator looks: ages 3–15).
_NOT_IN_BASE = _piecewise((2, 20), (5, -3.0), (10, -5.5), (14, -4.5), (15, -3.2), (17, -1.8),
                          (22, 0.6), (30, 3.0), (100, 6.0))  # fmt: skip
_NOT_IN_SLOPE = _piecewise((2, 0), (5, 0.8), (15, 0.9), (17, 0.6), (22, 0.5), (30, 0.3), (100, 0))
_CHILD_AGE = _piecewise((2, 0), (15, 1), (100, 0))
# school level attended (a second value for the minority who attend another level)
_LEVEL_MAIN = _piecewise((5, 0), (10, 1), (14, 2), (17, 3), (100, 5))
_LEVEL_ALT = _piecewise((5, 0), (10, 1), (14, 2), (15, 2), (17, 4), (100, 4))
_LEVEL_ALT_P = _piecewise((14, 0), (15, 0.2), (17, 0.1), (100, 0.25))
# education: cohort offset of the latent, and the highest diploma an age allows
_COHORT = _piecewise((30, 0.9), (45, 0.3), (65, -0.3), (100, -1.1))
_DIPLOMA_CAP = _piecewise((10, 0), (14, 1), (17, 2), (19, 3), (21, 4), (100, 5)).astype(np.int64)
# internet use in the last month: base and slope of the log-odds
_NET_BASE = _piecewise((7, -20), (17, 2.0), (40, 3.0), (60, 1.4), (100, -1.2))
_NET_SLOPE = _piecewise((7, 0), (17, -0.6), (60, -0.7), (100, -0.6))
_ALLOWANCE_AGE_P = _piecewise((74, 0.01), (79, 0.5), (100, 0.9))


def _schooling(rng, age, sm):
    """in_school, school_level code (-1 = none)."""
    M = len(age)
    not_in = _NOT_IN_BASE[age] + _NOT_IN_SLOPE[age] * sm + DEPRIVATION_SHIFT * _CHILD_AGE[age]
    in_school = ~_draw(rng, not_in, M)
    alt = _uniform(rng, M) < _LEVEL_ALT_P[age]
    level = np.where(alt, _LEVEL_ALT[age], _LEVEL_MAIN[age])
    return in_school, np.where(in_school, level, -1).astype(np.int8)


def _diplomas(rng, age, sm, in_school):
    """highest_diploma code and vocational certificate, consistent with age and schooling."""
    M = len(age)
    u = _uniform(rng, M)
    # an ordinal education level from a latent; older cohorts studied less
    latent = rng.normal(0, 1, M) - 0.45 * sm + _COHORT[age]
    level = np.searchsorted(np.array([-2.4, -1.3, -0.1, 1.3, 1.6]), latent, side="right")
    cap = _DIPLOMA_CAP[age]
    level = np.minimum(level, cap)
    voc = (age >= 18) & (age <= 65) & (u < 0.1)
    young = (age >= 16) & (age <= 30) & ~in_school
    lacks = young & _draw(rng, -2.3 + 0.8 * sm + DEPRIVATION_SHIFT, M)
    needed = np.where(age < 18, 2, 3)  # the diploma the adult-education indicator asks for
    level = np.where(young & ~lacks, np.maximum(level, needed), level)
    level = np.where(lacks, np.where((age < 18) | (u < 0.3), 1, 2), level)
    voc &= ~lacks
    studying = in_school & (age >= 11)
    level = np.where(studying, np.minimum(cap, np.where(age < 16, 1 + (age >= 15), needed)), level)
    return level.astype(np.int8), voc


def _disability(rng, age, sm):
    M = len(age)
    logit = -4.3 + 0.045 * np.clip(age - 40, 0, None) + 0.25 * sm
    has = _draw(rng, logit, M)
    u = _uniform(rng, M)
    return np.where(has, np.where(u < 0.6, 1, np.where(u < 0.9, 2, 3)), 0).astype(np.int8)


def _work(rng, age, sex_male, in_school, disability, urban_m, sm):
    """work_status code and labour_contract (nullable)."""
    M = len(age)
    w = WORK.index
    status = np.full(M, w("child"), dtype=np.int8)
    status = np.where((age >= 6) & in_school, w("student"), status)
    adult = (age >= 15) & ~in_school
    rural_mix = {"farmer": 0.47, "wage_worker": 0.27, "self_employed": 0.14, "homemaker": 0.12}
    urban_mix = {"wage_worker": 0.5, "self_employed": 0.3, "farmer": 0.06, "homemaker": 0.14}
    work = np.where(urban_m, _pick(rng, urban_mix, M, WORK), _pick(rng, rural_mix, M, WORK))
    elder_age = np.where(sex_male, 61, 56)
    elder = age >= elder_age + 4
    retired_p = np.where(urban_m, 0.45, 0.18)
    elder_mix = _pick(rng, {"farmer": 0.45, "homemaker": 0.4, "self_employed": 0.15}, M, WORK)
    elder_work = np.where(_uniform(rng, M) < retired_p, w("retired"), elder_mix)
    elder_work = np.where((age >= 80) & (_uniform(rng, M) < 0.5), w("unable_to_work"), elder_work)
    unemployed = _draw(rng, -4.0 + 0.5 * sm + DEPRIVATION_SHIFT, M) & ~elder
    status = np.where(adult, np.where(elder, elder_work, work), status)
    status = np.where(adult & unemployed, w("unemployed"), status)
    status = np.where(adult & (disability >= 2), w("unable_to_work"), status)
    wage = status == w("wage_worker")
    contract = ~_draw(rng, -0.8 + 0.7 * sm - 0.9 * urban_m + DEPRIVATION_SHIFT, M)
    labour = pd.arrays.BooleanArray(contract & wage, ~wage)
    return status.astype(np.int8), labour


def _member_flags(rng, age, sm, disability):
    M = len(age)
    insured = (age < 6) | ~_draw(rng, -3.9 + 0.7 * sm + DEPRIVATION_SHIFT, M)
    sick_no_care = _draw(rng, -3.6 + 0.3 * sm, M)
    internet = _draw(rng, _NET_BASE[age] + _NET_SLOPE[age] * sm - DEPRIVATION_SHIFT, M)
    mobile = (age >= 12) & (_draw(rng, 3.0 - 0.5 * sm - 2.0 * (age > 72), M) | internet)
    disabled_p = np.array([0.01, 0.01, 0.85, 0.95])[disability]
    allowance = _uniform(rng, M) < np.maximum(_ALLOWANCE_AGE_P[age], disabled_p)
    insured |= allowance  # allowance recipients get a health-insurance card
    return insured, sick_no_care, internet, mobile, allowance


def _nutrition(rng, age, sm):
    """Nutrition code for members under 16 (the only ones asked), -1 for the others."""
    code = np.full(len(age), -1, dtype=np.int8)
    child = np.flatnonzero(age < 16)
    poor = _draw(rng, -3.3 + 0.6 * sm[child] + DEPRIVATION_SHIFT, len(child))
    u = _uniform(rng, len(child))
    code[child] = np.where(poor, np.where(u < 0.6, 1, 2), np.where(u < 0.015, 3, 0))
    return code


# -- dwelling and income -----------------------------------------------------------------------
def _dwelling(rng, s, urban, remote, n):
    H = len(s)
    shift = DEPRIVATION_SHIFT
    bad = _draw(rng, -4.3 + 0.9 * s + 0.6 * remote + shift, H)
    wall = np.where(
        bad,
        _pick(rng, {"earth": 0.4, "bamboo_leaves": 0.4, "tarpaulin_other": 0.2}, H, WALLS),
        _pick(rng, {"concrete_brick": 0.92, "stone": 0.02, "hardwood": 0.03, "earth": 0.03}, H, WALLS),
    )  # fmt: skip
    frame = np.where(
        bad,
        _pick(rng, {"softwood_bamboo": 0.8, "none_other": 0.2}, H, FRAMES),
        _pick(
            rng, {"reinforced_concrete": 0.6, "brick_stone": 0.3, "steel": 0.04, "hardwood": 0.06},
            H, FRAMES,
        ),
    )  # fmt: skip
    good_roof = {"tile": 0.35, "metal_sheet": 0.3, "concrete": 0.3, "fibre_cement": 0.05}
    roof = np.where(
        bad & (rng.random(H) < 0.5),
        _pick(rng, {"thatch_leaves": 0.7, "tarpaulin_other": 0.3}, H, ROOFS),
        _pick(rng, good_roof, H, ROOFS),
    )
    per_person = np.exp(np.log(24) - 0.22 * s + rng.normal(0, 0.4, H))
    area = np.round(np.clip(per_person * n, 6, 2000), 1)
    unclean = _draw(rng, np.where(urban, -5.0, -3.0 + 0.8 * remote) + 0.8 * s + shift, H)
    clean_rural = {"piped": 0.35, "drilled_well": 0.35, "protected_dug_well": 0.25,
                   "rainwater": 0.03, "protected_spring": 0.02}  # fmt: skip
    clean = np.where(
        urban,
        _pick(rng, {"piped": 0.95, "drilled_well": 0.04, "bottled": 0.01}, H, WATER),
        _pick(rng, clean_rural, H, WATER),
    )
    dirty = {"unprotected_dug_well": 0.5, "unprotected_spring": 0.2, "surface_water": 0.2,
             "vendor_other": 0.1}  # fmt: skip
    water = np.where(unclean, _pick(rng, dirty, H, WATER), clean)
    bad_latrine = _draw(rng, -3.0 + 0.9 * s + shift, H)
    good_l = {"septic": 0.7, "semi_septic": 0.15, "pour_flush": 0.07, "double_vault": 0.04,
              "biogas": 0.02, "ventilated_pit": 0.02}  # fmt: skip
    latrine = np.where(
        bad_latrine,
        _pick(rng, {"simple_pit": 0.6, "none": 0.25, "over_water": 0.15}, H, LATRINES),
        _pick(rng, good_l, H, LATRINES),
    )
    return {
        "wall_material": _cat(wall, WALLS),
        "frame_material": _cat(frame, FRAMES),
        "roof_material": _cat(roof, ROOFS),
        "floor_area_m2": area,
        "water_source": _cat(water, WATER),
        "latrine": _cat(latrine, LATRINES),
    }


_DEVICE_CATEGORIES = [
    " ".join(d for bit, d in enumerate(DEVICES) if mask >> bit & 1) for mask in range(128)
]


def _devices(rng, s, logy, any_internet):
    H = len(s)
    none_info = _draw(rng, -4.2 + 0.9 * s + DEPRIVATION_SHIFT, H)
    rich = logy - math.log(BASE_RURAL_INCOME)
    has = {
        "tv": rng.random(H) < 0.9,
        "radio": rng.random(H) < 0.05,
        "computer": _draw(rng, -2.0 + 1.2 * rich, H),
        "smartphone": any_internet & (rng.random(H) < 0.95),
        "tablet": _draw(rng, -3.0 + rich, H),
        "landline": rng.random(H) < 0.04,
        "basic_phone": rng.random(H) < 0.3,
    }
    mask = np.zeros(H, dtype=np.int64)
    for bit, d in enumerate(DEVICES):
        keep = (
            has[d] & ~none_info
            if d in ("tv", "radio", "computer", "smartphone", "tablet")
            else has[d]
        )
        mask |= keep.astype(np.int64) << bit
    return pd.Categorical.from_codes(mask, categories=_DEVICE_CATEGORIES)


def _other_dwelling(rng, s, urban, logy):
    H = len(s)
    rural_waste = {"collected": 0.5, "sorted_composted": 0.15, "buried_burned_own": 0.3,
                   "discarded": 0.05}  # fmt: skip
    waste = np.where(
        urban, _pick(rng, {"collected": 0.95, "sorted_composted": 0.05}, H, WASTE),
        _pick(rng, rural_waste, H, WASTE),
    )  # fmt: skip
    modern = _draw(rng, 0.6 - 0.9 * s + 1.5 * urban, H)
    fuel = np.where(
        modern, FUELS.index("electricity_gas"),
        _pick(rng, {"wood_straw_dung": 0.8, "charcoal_coal": 0.1, "biogas": 0.1}, H, FUELS),
    )  # fmt: skip
    return {
        "hears_loudspeaker": rng.random(H) < np.where(urban, 0.6, 0.85),
        "waste_treatment": _cat(waste, WASTE),
        "electricity": rng.random(H) < 0.998,
        "cooking_fuel": _cat(fuel, FUELS),
    }


def _income(rng, y_pc, n, workers: dict[str, np.ndarray], allowance_n) -> dict[str, np.ndarray]:
    """12-month income by source; counted sources add up to the household's latent income."""
    H = len(y_pc)
    total = y_pc * 12 * n
    earners = workers["wage"] + workers["self"] + workers["farmer"] + workers["retired"]
    weights = {
        "wages": workers["wage"] * 1.0,
        "agriculture": workers["farmer"] * 0.7,
        "business": workers["self"] * 1.1,
        "pensions": workers["retired"] * 0.9,
        "remittances": np.where(earners == 0, 1.0, 0.12) * (rng.random(H) < 0.6),
        "other": np.full(H, 0.04),
    }
    noisy = {k: v * rng.gamma(3.0, 1 / 3.0, H) for k, v in weights.items()}
    weight_sum = sum(noisy.values())
    weight_sum = np.where(weight_sum > 0, weight_sum, 1.0)
    out = {k: np.clip(np.round(total * v / weight_sum, -3), 0, MAX_VND) for k, v in noisy.items()}
    out["social_allowances"] = allowance_n * 12 * rng.choice([360_000, 540_000, 720_000], H)
    return {src: out[src].astype(np.int64) for src in SOURCES}


def _scorecard(rng, logy, n, urban):
    H = len(logy)
    rich = logy - math.log(BASE_RURAL_INCOME)
    kwh = np.exp(np.log(35) + 0.5 * np.log(n) + 0.7 * rich + rng.normal(0, 0.4, H))
    return {
        "electricity_kwh": np.clip(np.round(kwh), 0, 5000).astype(np.int64),
        "fridge": _draw(rng, 1.2 + 2.0 * rich, H),
        "motorbikes": np.clip(rng.poisson(np.exp(0.5 + 0.5 * rich)), 0, 6).astype(np.int64),
        "cattle": np.where(urban, 0, rng.poisson(np.clip(0.6 - 0.5 * rich, 0.05, 3))).astype(np.int64),
    }  # fmt: skip


# -- names -------------------------------------------------------------------------------------
def _name_table() -> list[str]:
    names = []
    for family in FAMILY:
        for sex in SEXES:
            for middle in MIDDLE[sex]:
                for given in GIVEN[sex]:
                    names.append(f"{family} {middle} {given}")
    return names


_NAMES = pd.Index(_name_table())  # unique: a pandas categorical's categories


def _names(rng, hidx, rel, male, minority_h) -> pd.Categorical:
    """Full names as a categorical over every family × middle × given combination."""
    M = len(rel)
    family_h = rng.integers(0, len(FAMILY), len(minority_h))
    family_h = np.where(minority_h, _MINORITY_FAMILY[family_h % len(_MINORITY_FAMILY)], family_h)
    own_family = rng.integers(0, len(FAMILY), M)
    shares = np.isin(rel, [0, 2, 4, 6]) | ((rel == 5) & male)  # head's lineage
    family = np.where(shares, family_h[hidx], own_family)
    middle = np.where(
        male,
        _MIDDLE_DRAW["male"][rng.integers(0, 6, M)],
        _MIDDLE_DRAW["female"][rng.integers(0, 8, M)],
    )
    given = rng.integers(0, 20, M)
    code = ((family * 2 + (~male).astype(np.int64)) * 6 + middle) * 20 + given
    return pd.Categorical.from_codes(code, categories=_NAMES)


# -- one block ---------------------------------------------------------------------------------
def _where(rng, geo: _Geo, H: int, counters: np.ndarray) -> dict[str, np.ndarray]:
    village = np.sort(rng.choice(len(geo.v_weight), size=H, p=geo.v_weight))
    first = np.searchsorted(village, village, side="left")
    number = counters[village] + np.arange(H) - first + 1
    counters += np.bincount(village, minlength=len(counters))
    return {"village": village, "commune": geo.v_commune[village], "number": number}


def _household_ids(geo: _Geo, village: np.ndarray, number: np.ndarray) -> np.ndarray:
    width = max(4, len(str(int(number.max())))) if len(number) else 4
    table = np.array([str(i).zfill(width) for i in range(int(number.max(initial=0)) + 1)], object)
    return geo.v_prefix[village] + table[number]


_DATES = [(REVIEW_START + dt.timedelta(days=d)).isoformat() for d in range(REVIEW_DAYS)]


def _block(rng: np.random.Generator, H: int, geo: _Geo, counters: np.ndarray):
    """One block of H households: (households_df, members_df)."""
    loc = _where(rng, geo, H, counters)
    c = loc["commune"]
    urban, remote = geo.urban[c], geo.remote[c]
    minority = rng.random(H) < geo.minority[c]
    z = rng.normal(0, 1, H)
    # hardship: the latent that drives every deprivation (low income, remoteness, minority)
    s = -z + 0.6 * remote + 0.8 * minority
    logy = geo.mu[c] + INCOME_SHIFT + INCOME_SIGMA * z - 0.25 * minority
    y_pc = np.minimum(np.exp(logy), 40_000_000)

    kind = _household_types(rng, s)
    counts = _roster_counts(rng, kind, s)
    hidx, rel, pos = _layout(counts)
    n = np.bincount(hidx, minlength=H)
    sm, urban_m = s[hidx], urban[hidx]
    age = _ages(rng, rel, counts["head_age"][hidx])
    male = _sexes(rng, rel, hidx, kind)
    eth = _ethnicity(rng, geo, c, minority, hidx, rel)
    in_school, level = _schooling(rng, age, sm)
    diploma, voc = _diplomas(rng, age, sm, in_school)
    disability = _disability(rng, age, sm)
    work, contract = _work(rng, age, male, in_school, disability, urban_m, sm)
    insured, sick, internet, mobile, allowance = _member_flags(rng, age, sm, disability)
    nutrition = _nutrition(rng, age, sm)

    ids = _household_ids(geo, loc["village"], loc["number"])
    members = pd.DataFrame(
        {
            "household_id": ids[hidx],
            "member_no": (pos + 1).astype(np.int64),
            "name": _names(rng, hidx, rel, male, minority),
            "relation": _cat(rel, RELATIONS),
            "sex": _cat((~male).astype(np.int8), SEXES),
            "birth_year": (SURVEY_YEAR - age).astype(np.int64),
            "ethnicity": _cat(eth, ETHNICITIES),
            "disability": _cat(disability, DISABILITIES),
            "in_school": in_school,
            "school_level": _cat(level, SCHOOL_LEVELS),
            "highest_diploma": _cat(diploma, DIPLOMAS),
            "vocational_certificate": voc,
            "work_status": _cat(work, WORK),
            "labour_contract": contract,
            "health_insurance": insured,
            "sick_no_care": sick,
            "nutrition": _cat(nutrition, NUTRITION),
            "uses_internet": internet,
            "mobile_subscription": mobile,
            "social_allowance": allowance,
        },
        copy=False,  # fresh arrays: no need to copy them into consolidated blocks
    )
    workers = {
        key: np.bincount(hidx[work == WORK.index(status)], minlength=H)
        for key, status in [("wage", "wage_worker"), ("self", "self_employed"),
                            ("farmer", "farmer"), ("retired", "retired")]
    }  # fmt: skip
    any_internet = np.bincount(hidx[internet], minlength=H) > 0
    households = _households_frame(
        rng, geo, loc, ids, c, urban, remote, s, n, logy, y_pc, workers,
        np.bincount(hidx[allowance], minlength=H), any_internet, members["name"].array[rel == 0],
    )  # fmt: skip
    return households, members


def _ethnicity(rng, geo: _Geo, c, minority, hidx, rel) -> np.ndarray:
    eth_h = np.zeros(len(c), dtype=np.int8)
    idx = np.flatnonzero(minority)
    if len(idx):
        cum = np.cumsum(geo.minority_table[c[idx]], axis=1)
        u = rng.random(len(idx))[:, None]
        eth_h[idx] = np.minimum((u > cum).sum(axis=1), len(ETHNICITIES) - 1)
    eth = eth_h[hidx]
    married_in = np.isin(rel, [1, 3]) & (_uniform(rng, len(rel)) < 0.15)
    return np.where(married_in, 0, eth).astype(np.int8)


def _households_frame(rng, geo, loc, ids, c, urban, remote, s, n, logy, y_pc, workers,
                      allowance_n, any_internet, head_names) -> pd.DataFrame:  # fmt: skip
    H = len(c)
    village = loc["village"]
    lat = np.round(geo.lat[c] + rng.normal(0, 1, H) * geo.spread[c], 5)
    lon = np.round(geo.lon[c] + rng.normal(0, 1, H) * geo.spread[c], 5)
    data: dict[str, Any] = {
        "form_id": pd.Categorical.from_codes(np.zeros(H, np.int8), [FORM_ID]),
        "form_version": pd.Categorical.from_codes(np.zeros(H, np.int8), [FORM_VERSION]),
        "household_id": ids,
        "province_code": pd.Categorical.from_codes(geo.province_index[c], geo.provinces),
        "commune_code": pd.Categorical.from_codes(c, geo.commune_code),
        "village": pd.Categorical.from_codes(geo.v_name[village], categories=geo.village_names),
        "area": _cat(np.where(urban, 0, 1), ("urban", "rural")),
        "head_name": head_names,
        "address": pd.Categorical.from_codes(geo.v_address[village], geo.addresses),
        "round": pd.Categorical.from_codes(np.zeros(H, np.int8), [ROUND]),
        "enumerator": pd.Categorical.from_codes(geo.v_enumerator[village], geo.enumerators),
        "survey_date": pd.Categorical.from_codes(
            rng.integers(0, REVIEW_DAYS, H).astype(np.int8), _DATES
        ),
        "gps_lat": lat,
        "gps_lon": lon,
        "gps_accuracy_m": np.round(rng.uniform(3, 15, H), 1),
    }
    dwelling = _dwelling(rng, s, urban, remote, n)
    dwelling["devices"] = _devices(rng, s, logy, any_internet)
    dwelling |= _other_dwelling(rng, s, urban, logy)
    data |= {f"dwelling_{k}": v for k, v in dwelling.items()}
    income = _income(rng, y_pc, n, workers, allowance_n)
    data |= {f"income_{k}": v for k, v in income.items()}
    data |= {f"scorecard_{k}": v for k, v in _scorecard(rng, logy, n, urban).items()}
    return pd.DataFrame(data, copy=False)


# -- public API --------------------------------------------------------------------------------
def _check(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise ValueError(f"n must be a whole number ≥ 0 / n phải là số nguyên ≥ 0, not {n!r}")


def _blocks(
    n: int, seed: int, geo: _Geo, block: int
) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
    counters = np.zeros(len(geo.v_weight), dtype=np.int64)
    for b, start in enumerate(range(0, n, block)):
        rng = np.random.default_rng([int(seed), b])
        yield _block(rng, min(block, n - start), geo, counters)


def iter_synth_tables(
    n: int, *, seed: int, province: str | None = "42", block: int = BLOCK_SIZE
) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
    """The households of ``synth_tables`` as successive (households, members) blocks.

    ``province=None`` draws from every commune of the country. Concatenating the blocks gives
    exactly ``synth_tables(n, seed=seed, province=province)`` when ``block`` is left as is.
    """
    _check(n)
    if n:
        yield from _blocks(n, seed, _geography(province), block)


def synth_tables(
    n: int, *, seed: int, province: str | None = "42"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``n`` synthetic households of a province as (households_df, members_df).

    Deterministic per ``(n, seed, province)``. Households come ordered by commune and village;
    each member row follows its household's order. Choice columns are pandas categoricals.
    """
    parts = list(iter_synth_tables(n, seed=seed, province=province))
    if not parts:
        return _empty()
    if len(parts) == 1:
        return parts[0]
    households = pd.concat([h for h, _ in parts], ignore_index=True)
    members = pd.concat([m for _, m in parts], ignore_index=True)
    return households, members


def _empty() -> tuple[pd.DataFrame, pd.DataFrame]:
    hh, mm = next(_blocks(1, 0, _geography("42"), 1))
    return hh.iloc[:0].copy(), mm.iloc[:0].copy()


def synth_households(n: int, *, seed: int, province: str | None = "42") -> Iterator[dict[str, Any]]:
    """The households of ``synth_tables(n, seed=…)`` as canonical records, generated lazily."""
    from survey_forms.tables import tables_to_households

    for households, members in iter_synth_tables(n, seed=seed, province=province):
        yield from tables_to_households(households, members)


def synth_national_chunks(
    total: int, chunk: int = 500_000, seed: int = 0
) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
    """A national census of ``total`` households over all 3,321 communes, ``chunk`` at a time.

    Memory stays bounded by one chunk; household ids stay unique across chunks.
    """
    if chunk < 1:
        raise ValueError("chunk must be ≥ 1 / chunk phải ≥ 1")
    return iter_synth_tables(total, seed=seed, province=None, block=chunk)
