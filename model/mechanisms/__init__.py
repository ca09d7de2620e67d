"""One module per mechanism of the design digest (M1–M16) plus innovation, costs, the accounts
and the economy around the sectors.

| module | mechanism |
|---|---|
| export_controls | M1 export controls, M11 yard and fence |
| capital | M2 capital and investment restrictions |
| market_barriers | M3 tariffs and procurement bans |
| reshoring | M4 reshoring subsidies and friend-shoring |
| ally_compliance | M5 ally compliance |
| market | M6 market substitution and de-Americanisation |
| import_replacement | M7 import replacement |
| standards | M8 standards competition |
| knowledge | M9 academic isolation and knowledge flows |
| coopetition | M10 co-opetition and trust |
| countermeasures | M12 China's counter-measures |
| us_resolve | M13 the US decides (its resolve per sector) |
| china_strategy | M14 China decides |
| joint_rd | M15 the allies' joint R&D |
| hedging | M16 third countries hedge |
| innovation | revenue -> R&D -> capability |
| costs | unit costs |
| accounts | welfare in money (at buyers' true preferences) and the ACR cross-check |
| economy | GDP that technology moves; spending that follows income and prices |
"""
