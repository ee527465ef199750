#!/usr/bin/env bash
# mypy over the library as it installs: one `diarium` namespace whose sub-packages
# indexer/, web/, extractors/ and cli.py live at the top level of the checkout (setup.cfg
# maps them with package_dir, which mypy cannot follow). A tree of symbolic links under
# var/typecheck/ gives mypy that layout; the settings are in pyproject.toml [tool.mypy].
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
tree=$ROOT/var/typecheck
rm -rf "$tree"
mkdir -p "$tree/diarium"
for entry in "$ROOT"/diarium/*; do
  name=$(basename "$entry")
  case "$name" in __pycache__|cli.py) continue ;; esac
  ln -s "$entry" "$tree/diarium/$name"
done
ln -s "$ROOT/cli.py" "$tree/diarium/cli.py"
for sub in indexer web extractors; do ln -s "$ROOT/$sub" "$tree/diarium/$sub"; done
cd "$tree"
exec "$PYTHON" -m mypy --config-file "$ROOT/pyproject.toml" -p diarium "$@"
