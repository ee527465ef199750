"""Extractors: one module per format, each turning a file into an Extraction."""
