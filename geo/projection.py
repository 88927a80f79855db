"""Map projections, chosen for the extent shown.

A regional map (the usual case: the places of one incident or conflict) uses the
Lambert azimuthal equal-area projection centred on the region, which keeps areas
true and shapes close to true near the centre, whatever the latitude. A map spanning
much of the world uses Equal Earth, an equal-area world projection. Both are pure
formulas: no projection library is needed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .boundaries import BBox

# Beyond these spans (degrees) an azimuthal projection distorts the edges too much.
REGIONAL_MAX_LON_SPAN = 100.0
REGIONAL_MAX_LAT_SPAN = 60.0

# Equal Earth polynomial coefficients (Šavrič, Patterson and Jenny, 2018).
_A1, _A2, _A3, _A4 = 1.340264, -0.081106, 0.000893, 0.003796
_M = math.sqrt(3) / 2


@dataclass(frozen=True)
class Projection:
    kind: str  # "laea" or "equal-earth"
    lon0: float
    lat0: float

    @property
    def name(self) -> str:
        if self.kind == "laea":
            return (
                "Lambert azimuthal equal-area, centred on "
                f"{abs(self.lat0):.1f}°{'N' if self.lat0 >= 0 else 'S'} "
                f"{abs(self.lon0):.1f}°{'E' if self.lon0 >= 0 else 'W'}"
            )
        return "Equal Earth"

    def project(self, lon: float, lat: float) -> tuple[float, float]:
        """(x, y) on the unit sphere's plane, y pointing north."""
        if self.kind == "laea":
            lam = math.radians(lon - self.lon0)
            phi, phi0 = math.radians(lat), math.radians(self.lat0)
            cos_c = math.sin(phi0) * math.sin(phi) + math.cos(phi0) * math.cos(phi) * math.cos(lam)
            k = math.sqrt(2 / max(1e-9, 1 + cos_c))
            x = k * math.cos(phi) * math.sin(lam)
            y = k * (
                math.cos(phi0) * math.sin(phi) - math.sin(phi0) * math.cos(phi) * math.cos(lam)
            )
            return x, y
        lam = math.radians(((lon - self.lon0 + 180) % 360) - 180)
        theta = math.asin(_M * math.sin(math.radians(lat)))
        t2 = theta * theta
        t6 = t2 * t2 * t2
        x = (
            2
            * math.sqrt(3)
            * lam
            * math.cos(theta)
            / (3 * (_A1 + 3 * _A2 * t2 + t6 * (7 * _A3 + 9 * _A4 * t2)))
        )
        y = theta * (_A1 + _A2 * t2 + t6 * (_A3 + _A4 * t2))
        return x, y


def for_extent(bbox: BBox) -> Projection:
    west, south, east, north = bbox
    if east - west > REGIONAL_MAX_LON_SPAN or north - south > REGIONAL_MAX_LAT_SPAN:
        return Projection("equal-earth", 0.0, 0.0)
    return Projection("laea", round((west + east) / 2, 2), round((south + north) / 2, 2))
