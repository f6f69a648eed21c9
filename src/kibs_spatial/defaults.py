"""Defaults shared by the command line and the analysis, defined once (and cheap to import)."""

DEFAULT_SEED = 20140582
"""The one default seed of the toolkit (the KIET study's report number, i-KIET No. 582 of 2014)."""

DEFAULT_PERMUTATIONS = 9999
"""Conditional permutations per unit: the smallest attainable p is 1/10,000."""

DEFAULT_WEIGHTS = "queen:tolerance=500"
"""Contiguity bridging the slivers of the bundled 2013 polygons (see docs/STATISTICS.md)."""

GANGNAM_DEFAULT = ("11680", "11650")
"""The Gangnam area of the contrast maps and tables: Gangnam-gu and Seocho-gu (KOSTAT codes)."""

RADII_DEFAULT = (10.0, 20.0, 50.0)
"""Distance bands (km) from the Gangnam area in the contrast tables."""
