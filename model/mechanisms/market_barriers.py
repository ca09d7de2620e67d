"""M3 Market barriers — tariffs and procurement bans on Chinese suppliers.

Sources: S1 一(三) (25 % tariff on US$200 bn of Chinese goods in 2019 covering boards,
graphics cards, telecom equipment; bans on Huawei, ZTE, Hikvision, Hytera, Dahua; US imports of
Chinese telecom and IT down to 54 % of their 2016 level by 2021); S0 二是数据 and 四是市场
(2019 NDAA procurement ban, ICT supply-chain order); S0 中美科技关系嬗变 (PV duties of 2012
and 2014 did not stop the industry moving to China); S1 一(六) (allies' Huawei bans).

Rules
- The tariff (and any trade-remedy duty on top, as on PV) raises the price US buyers pay for the
  Chinese-made part of a firm's output:
  all of a Chinese firm's home output, the ``anti_circumvention`` share of what it makes in
  third countries, and a foreign firm's Chinese assembly.
- The procurement ban closes a share of US demand in the ban sectors to Chinese firms; a
  complying ally copies ``ban_follow`` of it in its own market.
- Barriers do not create a domestic alternative: demand moves to whoever else sells (M6), and
  production moves to third countries (M4).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..model import DecouplingModel


def made_in_china(model: DecouplingModel) -> np.ndarray:
    """(n,) share of each firm's output that a US tariff on Chinese goods reaches."""
    f = model.firms
    anti = model.params.policy.anti_circumvention
    foundry_in_cn = f.loc_foundry * model.world.foundry_hosts[f.sector, model.layout.cn]
    return np.where(model.layout.is_cn, 1.0 - f.loc_friend + anti * f.loc_friend, f.loc_cn + foundry_in_cn)


def tariff_matrix(model: DecouplingModel) -> np.ndarray:
    """(n, B) ad valorem tariff each firm's sales face in each buyer segment."""
    f, pol, layout = model.firms, model.policy, model.layout
    tariffs = np.zeros((f.n, layout.n_segments))
    tariffs[:, layout.us] = pol.tariff[f.sector] * made_in_china(model)  # tariffs and trade remedies
    return tariffs


def ban_availability(model: DecouplingModel) -> np.ndarray | None:
    """(n, B) share of each segment's demand still open to each firm under procurement bans
    (None when nothing is banned: all of it)."""
    f, w, pol, layout = model.firms, model.world, model.policy, model.layout
    if not pol.ban.any():
        return None
    avail = np.ones((f.n, layout.n_segments))
    banned = layout.is_cn * pol.ban[f.sector]
    avail[:, layout.us] -= banned
    rows = np.flatnonzero(banned)  # (every other firm keeps all of every segment)
    if rows.size:
        follow = model.params.allies.ban_follow
        allies = w.allies
        avail[np.ix_(rows, allies)] -= (
            banned[rows][:, None] * follow * model.relations.compliance[allies][:, f.sector[rows]].T
        )
        avail[rows] = np.clip(avail[rows], 0.0, 1.0)
    return avail
