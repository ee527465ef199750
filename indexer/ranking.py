"""The weights all engines share, so rankings agree.

The embedded backend (indexer/embedded.py) and the Elasticsearch/OpenSearch query
compiler (indexer/elastic/compiler.py) both build their queries from these values: the same
free-text fields with the same boosts, the same proximity, recency and partial-AND
ranking. Change a weight here and both engines change together.
"""

from __future__ import annotations

TEXT_FIELDS: tuple[str, ...] = ("rubrik", "part", "arendemening", "text")
# Title and parties weigh more than the body; an exact (unstemmed) match more than a stem.
FIELD_BOOSTS: dict[str, float] = {"rubrik": 3.0, "part": 2.0, "arendemening": 2.0, "text": 1.0}
EXACT_BOOST = 1.5
FOLDED_BOOST = 0.3
PARTS_BOOST = 0.4
LEMMA_BOOST = 0.7
DNR_BOOST = 20.0
SYNONYM_BOOST = 0.8
# Ranking (issue 8): the words of an AND query close together in the text or title
# (within PROXIMITY_SLOP positions) score above the same words far apart; a recent
# record wins a tie by a margin far below any difference in relevance; a partial result
# (graceful AND) ranks by how many of the words a record matches, then by relevance.
PROXIMITY_SLOP = 3
PROXIMITY_BOOST = 1.0
# One band, not two: each band is an optional date-range clause the embedded engine walks
# at every record the words match (about 0.15 ms per band at 20,000 records, measured with
# benchmarks/search_bench.py; a request dated entirely before the band skips it,
# indexer/embedded/compiler.latest_day); a second band (0.01 for six years) bought a finer
# tie-break among older records that no test or user could tell apart.
RECENCY_BANDS: tuple[tuple[int, float], ...] = ((2 * 365, 0.02),)
COORD_SCORE = 1000.0
