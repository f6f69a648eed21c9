"""The coordinate reference systems the toolkit works in, defined once."""

PROJECTED_CRS = "EPSG:5179"
"""Korea 2000 / Unified CS (metres): weights, distances, the GeoPackage and the rasters."""

WEB_CRS = "EPSG:4326"
"""Longitude and latitude, for the Leaflet maps only."""
