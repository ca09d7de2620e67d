"""M1 Export controls, and the controller's policy for the quarter (M11 yard and fence).

Sources: S0 一是技术 (control lists, >100 Chinese entities listed from 2018); S1 一(一)
(thresholds at 14 nm then 7 nm, FDPR, Huawei/SMIC/YMTC listings); S2 一(一) (entity list >600
by end-2022, the four channels of the October 2022 rules, the goal of degrading the rival);
S4 一 (small yard, high fence).

Rules
- The controller controls the sectors of its *yard*. In a controlled sector, products above
  ``(1 - fence) × frontier`` may not be sold to *covered* Chinese buyers; ``licence_approval``
  of such sales are licensed anyway. A bound firm offers covered buyers a sub-threshold variant
  (the Nvidia A800 of S2 四(一)) unless the fence is at 1.
- Covered buyers are the entity-listed share of Chinese demand, which grows each year, or all
  Chinese buyers where the rules are country-wide.
- US firms are always bound; an ally's firms are bound as far as their government complies (M5)
  or, under FDPR, when their US content exceeds the de-minimis share or their products are made
  with US-held chokepoint tools and software (the rule's long arm: no de-minimis share applies
  to the direct product of US tools, S1 一(一)); Chinese firms never.
- The largest Chinese firms of the entity-list sectors are listed first. A listed firm loses every
  US-controlled chokepoint input that bound holders supply (entity-list rules reach all US-origin
  items, whatever the yard), except what is licensed; under country-wide rules every Chinese
  firm loses the inputs governed by a controlled sector above the fence. What China has
  substituted (M7) is not lost. The firm's effective capability falls accordingly.
- In sectors where controls reach all destinations (ITAR-style licensing), buyers everywhere
  outside the US bear the licence burden of US-bound products (M6).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..model import DecouplingModel

FDPR_SOFTNESS = 0.02  # width (in US-content share) of the smooth step at the de-minimis line
SEE_THROUGH = 0.05  # US content below which a product counts as free of it ('ITAR-free') under all-destination rules


@dataclass
class PolicyState:
    """The controller's levers in force this quarter, as arrays over sectors."""

    active: bool
    controlled: np.ndarray  # (S,) bool
    fence: np.ndarray  # (S,) strictness where controlled, else 0 (the control intensity)
    licence: np.ndarray  # (S,) share of refused sales licensed anyway
    coverage: np.ndarray  # (S,) share of Chinese demand covered by the rules
    country_wide: np.ndarray  # (S,) bool
    fdpr: np.ndarray  # (S,) bool, controlled sectors where FDPR binds sales
    fdpr_listed: np.ndarray  # (S,) bool, FDPR reach for inputs to listed firms (any sector)
    all_destinations: np.ndarray  # (S,) bool, licences needed for every foreign buyer
    tariff: np.ndarray  # (S,) ad valorem on Chinese-made goods in the US, trade remedies included
    ban: np.ndarray  # (S,) share of US demand closed to Chinese suppliers
    outbound: np.ndarray  # (S,) share of US investment into Chinese firms barred
    academic: np.ndarray  # (S,) share of collaboration stopped
    reshoring: np.ndarray  # (S,) reshoring subsidy, US$ bn/yr
    entity_coverage: float  # entity list coverage of Chinese demand
    entity_sectors: np.ndarray  # (S,) bool

    @property
    def pressed(self) -> np.ndarray:
        """Sectors where the US asks allies to follow (controls or bans)."""
        return self.controlled | (self.ban > 0)


def sector_mask(names: list[str], sectors: tuple[str, ...]) -> np.ndarray:
    chosen = set(names)
    return np.array([s in chosen for s in sectors])


def entity_list_coverage(initial: float, growth: float, ceiling: float, years_active: float) -> float:
    """Share of Chinese demand on the entity list after ``years_active`` years of controls."""
    if years_active < 0:
        return 0.0
    return float(min(ceiling, initial + growth * years_active))


def controller_policy(
    params,
    sectors: tuple[str, ...],
    quarter_start: float,
    reshoring_weights: np.ndarray,
    standing: PolicyState | None = None,
) -> PolicyState:
    """Read the controller's levers for the quarter beginning at ``quarter_start``.

    Only the entity list's coverage changes from quarter to quarter; the rest is ``standing``
    (:func:`standing_levers` of these parameters with the policy on or off), computed here when
    not given."""
    p = params.policy
    active = policy_active(params, quarter_start)
    if standing is None:
        standing = standing_levers(params, sectors, active, reshoring_weights)
    entity = (
        entity_list_coverage(
            p.entity_list_initial, p.entity_list_growth, p.entity_list_max, quarter_start - p.start_year
        )
        if active
        else 0.0
    )
    coverage = np.where(standing.country_wide, 1.0, entity) * standing.controlled
    return replace(standing, coverage=coverage, entity_coverage=entity)


def policy_active(params, quarter_start: float) -> bool:
    """Whether the controller's policy is in force in the quarter beginning at ``quarter_start``."""
    return quarter_start >= params.policy.start_year - 1e-9


def standing_levers(params, sectors: tuple[str, ...], active: bool, reshoring_weights: np.ndarray) -> PolicyState:
    """The levers that stay put while the parameters do, with the policy on (``active``) or not;
    the entity list's coverage is left at 0 (see :func:`controller_policy`)."""
    p = params.policy
    S = len(sectors)
    on = float(active)
    yard = sector_mask(p.yard, sectors) & active
    country_wide = sector_mask(p.country_wide, sectors) & yard
    reshoring_sectors = sector_mask(p.reshoring_sectors, sectors) & active
    weights = reshoring_weights * reshoring_sectors
    reshoring = p.reshoring_subsidy * weights / weights.sum() if weights.sum() > 0 else np.zeros(S)
    return PolicyState(
        active=active,
        controlled=yard,
        fence=p.fence * yard,
        licence=np.full(S, p.licence_approval),
        coverage=np.zeros(S),
        country_wide=country_wide,
        fdpr=sector_mask(p.fdpr, sectors) & yard,
        fdpr_listed=sector_mask(p.fdpr, sectors) & active,
        all_destinations=sector_mask(p.all_destinations, sectors) & yard,
        tariff=on
        * (
            p.tariff * sector_mask(p.tariff_sectors, sectors)
            + p.trade_remedy * sector_mask(p.trade_remedy_sectors, sectors)
        ),
        ban=p.procurement_ban * on * sector_mask(p.ban_sectors, sectors),
        outbound=p.outbound_restriction * on * sector_mask(p.outbound_sectors, sectors),
        academic=p.academic_restriction * on * sector_mask(p.academic_sectors, sectors),
        reshoring=reshoring,
        entity_coverage=0.0,
        entity_sectors=sector_mask(p.entity_list_sectors, sectors) & active,
    )


def country_us_content(model: DecouplingModel) -> np.ndarray:
    """(S, C) mean US content of each country's firms (the seed value where it has none)."""
    f = model.firms
    count = model.layout.firm_count
    return np.where(count > 0, f.by_country(f.us_content) / np.maximum(count, 1), model.world.us_content)


def us_origin_bound(us_content: np.ndarray, us_tools: np.ndarray, de_minimis: float) -> np.ndarray:
    """How far a product falls under the FDPR: through US content above the de-minimis share, or
    through US tools and software used in making it (any noticeable use: no de-minimis share; a
    product made with none is not reached through them)."""
    through_tools = np.where(us_tools > 0, fdpr_bound(us_tools, SEE_THROUGH), 0.0)
    return np.maximum(fdpr_bound(us_content, de_minimis), through_tools)


def country_fdpr_bound(model: DecouplingModel) -> np.ndarray:
    """(S, C) mean FDPR bound of each country's firms (:func:`us_origin_bound`; where a country
    has no firms, that of its seed US content)."""
    f = model.firms
    count = model.layout.firm_count
    de_minimis = model.params.policy.de_minimis
    per_firm = us_origin_bound(f.us_content, f.us_tools, de_minimis)
    return np.where(
        count > 0, f.by_country(per_firm) / np.maximum(count, 1), fdpr_bound(model.world.us_content, de_minimis)
    )


def fdpr_reach(model: DecouplingModel) -> np.ndarray:
    """(n,) how far US rules reach each firm's products: FDPR in FDPR sectors (through US content
    above the de-minimis share or US tools, :func:`us_origin_bound`); any US content at all where
    controls cover all destinations (ITAR's 'see-through' rule)."""
    f, pol = model.firms, model.policy
    reach = np.zeros(f.n)
    if pol.fdpr.any():
        reach = pol.fdpr[f.sector] * us_origin_bound(f.us_content, f.us_tools, model.params.policy.de_minimis)
    if pol.all_destinations.any():
        reach = np.maximum(reach, pol.all_destinations[f.sector] * fdpr_bound(f.us_content, SEE_THROUGH))
    return reach


def fdpr_bound(us_content: np.ndarray, de_minimis: float) -> np.ndarray:
    """Smooth 0-1 step: how far a product with ``us_content`` falls under the FDPR."""
    z = np.clip((us_content - de_minimis) / FDPR_SOFTNESS, -50, 50)
    return 1.0 / (1.0 + np.exp(-z))


def firm_binding(
    role_of_firm: np.ndarray, compliance_of_firm: np.ndarray, fdpr: np.ndarray, controlled_of_firm: np.ndarray
) -> np.ndarray:
    """How far US controls bind each firm's sales to covered Chinese buyers, in [0, 1].

    US firms: 1. Allies: the larger of their government's compliance and the FDPR reach (``fdpr``,
    see :func:`fdpr_reach`). Third countries: the FDPR reach. Chinese firms: 0. Zero outside
    controlled sectors.
    """
    return binding_by_role(
        role_of_firm == "controller",
        role_of_firm == "ally",
        role_of_firm == "third",
        compliance_of_firm,
        fdpr,
        controlled_of_firm,
    )


def binding_by_role(
    controller: np.ndarray,
    ally: np.ndarray,
    third: np.ndarray,
    compliance_of_firm: np.ndarray,
    fdpr: np.ndarray,
    controlled_of_firm: np.ndarray,
) -> np.ndarray:
    """:func:`firm_binding` with each role given as a mask of firms (the masks are fixed for a run)."""
    bind = np.where(ally, np.maximum(compliance_of_firm, fdpr), np.where(third, fdpr, 0.0))
    bind[controller] = 1.0
    return bind * controlled_of_firm


def update_binding(model: DecouplingModel) -> None:
    """Which firms' sales to covered Chinese buyers the controls bind, and how far.

    Reads: policy, relations.compliance (this quarter's), firms.us_content and firms.us_tools
    (last quarter's). Writes: firms.fdpr_reach, firms.binding.
    """
    f, pol = model.firms, model.policy
    f.fdpr_reach = fdpr_reach(model)
    if not pol.controlled.any():
        f.binding = np.zeros(f.n)
        return
    role = model.layout.firm_is
    compliance = model.relations.compliance.take(model.layout.firm_in_cs)
    f.binding = binding_by_role(
        role["controller"],
        role["ally"],
        role["third"],
        compliance,
        f.fdpr_reach,
        pol.controlled[f.sector].astype(float),
    )


def extend_entity_list(
    revenue: np.ndarray, listed: np.ndarray, china_blocks: list[tuple[int, int]], policy: PolicyState
) -> None:
    """List the largest Chinese firms of the entity-list sectors until their share of Chinese
    firms' sales in the sector reaches the coverage; ``listed`` is changed in place. Listing is
    never undone, and as listed firms shrink the list reaches further (as it has reached listed
    firms' successors and suppliers). ``china_blocks`` gives each sector's (start, stop) rows of
    Chinese firms."""
    if policy.entity_coverage <= 0:
        return
    for s in np.flatnonzero(policy.entity_sectors):
        start, stop = china_blocks[s]  # a sector's Chinese firms are stored together
        sector_revenue, sector_listed = revenue[start:stop], listed[start:stop]  # (views: listing writes `listed`)
        total = sector_revenue.sum()
        if total <= 0:
            continue
        # Nothing changes where the list already covers the target. The covered share is added
        # up in revenue order below; added up in stored order it differs by far less than 1e-9,
        # so a sector covered with that margin is passed over without sorting its firms.
        if sector_revenue[sector_listed].sum() / total >= policy.entity_coverage - 1e-12 + 1e-9:
            continue
        order = np.argsort(-sector_revenue, kind="stable")
        covered = sector_revenue[order][sector_listed[order]].sum() / total
        for i in order:
            if covered >= policy.entity_coverage - 1e-12:
                break
            if not sector_listed[i]:
                sector_listed[i] = True
                covered += sector_revenue[i] / total


def holder_blocking(model: DecouplingModel, fdpr_mask: np.ndarray, bound: np.ndarray | None = None) -> np.ndarray:
    """(S, C) how far each country's suppliers of inputs governed by sector g refuse Chinese
    buyers: 1 for the US, compliance or FDPR reach for allies, FDPR reach for third countries.
    ``bound`` is :func:`country_fdpr_bound` (computed when not given)."""
    if bound is None:
        bound = country_fdpr_bound(model)  # (S, C)
    fdpr = fdpr_mask[:, None] * bound
    role = model.layout.country_is
    return np.where(
        role["controller"],
        1.0,
        np.where(role["ally"], np.maximum(model.relations.compliance.T, fdpr), np.where(role["third"], fdpr, 0.0)),
    )


def update_denial(model: DecouplingModel) -> None:
    """Chokepoint inputs lost by each Chinese firm, and its effective capability.

    Reads: policy, firms.listed, firms.us_content, firms.us_tools, relations.compliance,
    relations.substitution (this quarter's). Writes: firms.denial, firms.effective_capability.
    """
    f, w, pol = model.firms, model.world, model.policy
    layout = model.layout
    denial = np.zeros(f.n)
    listed = f.listed & layout.is_cn
    if w.chokepoints and (listed.any() or pol.country_wide.any()):
        bound = country_fdpr_bound(model)
        # entity-list rules: all US-origin items, whatever the yard, bar what is licensed
        block_listed = holder_blocking(model, pol.fdpr_listed, bound)
        listed_strength = 1.0 - model.params.policy.entity_licence_approval
        # country-wide rules: inputs governed by a controlled sector, above the fence
        block_wide = holder_blocking(model, pol.fdpr, bound) * pol.controlled[:, None]
        cps = layout.chokepoints
        g = cps.governed_by
        left = 1.0 - model.relations.substitution
        refused_listed = (cps.holders * block_listed[g]).sum(1) * listed_strength * left
        refused_wide = (cps.holders * block_wide[g]).sum(1) * pol.fence[g] * (1.0 - pol.licence[g]) * left
        # per Chinese firm (the others lose nothing): the chokepoints of its sector (rows of
        # cps.weight_of_firm are firms, columns inputs)
        rows = layout.china_rows
        lost = np.maximum(
            refused_listed[None, :] * listed[rows][:, None], (refused_wide * pol.country_wide[g])[None, :]
        )
        denial[rows] = (lost * cps.weight_of_firm[rows]).sum(1)
    f.denial = np.clip(denial, 0.0, 1.0)
    f.effective_capability = f.capability * (1.0 - f.denial)
