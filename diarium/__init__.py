"""diarium: a searchable public diary (sökbart diarium) for Swedish public bodies."""

__version__ = "0.1.0"
