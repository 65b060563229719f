"""tradeviz: China–Central Asia trade statistics, from raw API snapshots to publishable charts."""

__version__ = "0.1.0"
