"""One module per mechanism of the design digest (M1–M12) plus innovation.

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
| innovation | revenue -> R&D -> capability |
"""
