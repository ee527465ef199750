"""A realistic, fictional sample diary (Exempelby kommun) for `diarium demo` and tests.

`generate(target, size, seed)` writes document files, a manifest in the import format,
a diarium.toml and a summary; see `diarium.sample.generator`.
"""

from diarium.sample.generator import DEFAULT_SEED, SIZES, generate, plan

__all__ = ["DEFAULT_SEED", "SIZES", "generate", "plan"]
