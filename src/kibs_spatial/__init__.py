"""kibs_spatial: map KIBS industry clusters across regions with honest spatial statistics."""

__version__ = "0.1.0"
