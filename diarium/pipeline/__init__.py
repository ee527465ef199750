"""The stages that take a register export to a searchable index, in the order they run.

1. `importing`: a manifest (CSV/JSON Lines) into the store; files copied into the
   content-addressed file store (diarium.files).
2. `extracting`: the stored files to text and metadata, in a pool of worker processes
   (the formats themselves are diarium.extractors).
3. `indexing`: the public projection (diarium.public) of what changed into the search
   backend (diarium.indexer).

Each stage reads and writes the store only, so any stage can be run again or resumed.
"""
