"""Sums and maxima of per-firm arrays by sector and by (sector, country).

Firms are stored sector by sector and, within a sector, country by country, so each group is a
contiguous block of rows and ``numpy.ufunc.reduceat`` adds them up in a fixed order (fast and
bit-for-bit reproducible).
"""

from __future__ import annotations

import numpy as np


class Groups:
    """Group reductions of per-firm arrays; see the module docstring for the storage order."""

    def __init__(self, sector: np.ndarray, country: np.ndarray, n_sectors: int, n_countries: int):
        key = sector * n_countries + country
        if np.any(np.diff(key) < 0):
            raise ValueError("firms must be stored grouped by sector, then country")
        self.n_sectors, self.n_countries = n_sectors, n_countries
        self.sector_starts = np.searchsorted(sector, np.arange(n_sectors))
        if np.any(np.bincount(sector, minlength=n_sectors) == 0):
            raise ValueError("every sector needs at least one firm")
        flat, starts = np.unique(key, return_index=True)
        self.group_starts = starts
        self.group_flat = flat

    @classmethod
    def of_sectors(cls, sector: np.ndarray, n_sectors: int) -> Groups:
        return cls(np.asarray(sector), np.zeros(len(sector), dtype=int), n_sectors, 1)

    def sector_sum(self, values: np.ndarray) -> np.ndarray:
        """(S, ...) sums over each sector's firms."""
        return np.add.reduceat(values, self.sector_starts, axis=0)

    def sector_max(self, values: np.ndarray) -> np.ndarray:
        """(S, ...) maxima over each sector's firms."""
        return np.maximum.reduceat(values, self.sector_starts, axis=0)

    def _scatter(self, grouped: np.ndarray) -> np.ndarray:
        out = np.zeros((self.n_sectors * self.n_countries,) + grouped.shape[1:])
        out[self.group_flat] = grouped
        return out.reshape((self.n_sectors, self.n_countries) + grouped.shape[1:])

    def country_sum(self, values: np.ndarray) -> np.ndarray:
        """(S, C, ...) sums over the firms of each country in each sector (0 where none)."""
        return self._scatter(np.add.reduceat(values, self.group_starts, axis=0))

    def country_max(self, values: np.ndarray) -> np.ndarray:
        """(S, C) maxima (0 where the country has no firms)."""
        return self._scatter(np.maximum.reduceat(values, self.group_starts, axis=0))


class Blocks:
    """Rows grouped in contiguous blocks (a sector's firms), laid out as a zero-padded
    (blocks, largest block, ...) array, so that a sum down each block's rows is one call and adds
    the rows one after another, in the same order as ``m.sum(0)`` of the block alone."""

    def __init__(self, block: np.ndarray, n_blocks: int):
        starts = np.searchsorted(block, np.arange(n_blocks))
        self.index = (block, np.arange(len(block)) - starts[block])
        self.shape = (n_blocks, int(self.index[1].max()) + 1)

    def pad(self, rows: np.ndarray) -> np.ndarray:
        out = np.zeros(self.shape + rows.shape[1:])
        out[self.index] = rows
        return out

    def unpad(self, padded: np.ndarray) -> np.ndarray:
        return padded[self.index]

    def column_sums(self, rows: np.ndarray) -> np.ndarray:
        return self.pad(rows).sum(1)
