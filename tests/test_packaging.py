"""The wheel: built from the source tree, installed into a fresh virtual environment, it
puts only the `diarium` namespace (and its dist-info) into site-packages, holds every
module of the tree, and its `diarium` command runs.

Installing the dependencies from the registry would make this test slow and dependent on
the network, so the fresh environment gets them another way, after the site-packages
check: a .pth line appends the development environment's site-packages to sys.path (a
plain path line activates none of that environment's own .pth hooks, such as the editable
install's finder, and the fresh site-packages comes first). What is tested for the wheel
itself, its contents and its entry point, runs from the fresh environment alone.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

from diarium import __version__ as VERSION

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIRS = {"diarium": "diarium", "extractors": "diarium/extractors",
               "indexer": "diarium/indexer", "web": "diarium/web"}


def _copy_source(dest: Path) -> None:
    """Copy what a checkout holds: git's tracked files when this is a git work tree (so an
    engineer's unfinished, untracked package does not count), else the whole tree."""
    names = ("cli.py", "setup.cfg", "pyproject.toml", "README.md", *SOURCE_DIRS)
    listed = subprocess.run(["git", "ls-files", "-z", "--", *names], cwd=ROOT,
                            capture_output=True, text=True)
    if listed.returncode == 0 and listed.stdout:
        for rel in filter(None, listed.stdout.split("\0")):
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if (ROOT / rel).is_symlink():
                target.symlink_to(Path(ROOT / rel).readlink())
            elif (ROOT / rel).exists():
                shutil.copy2(ROOT / rel, target)
        return
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in SOURCE_DIRS:
        shutil.copytree(ROOT / name, dest / name, symlinks=True, ignore=ignore)
    for name in names[:4]:
        shutil.copy2(ROOT / name, dest / name)


def _expected_modules(src: Path) -> set[str]:
    """Installed paths (relative to site-packages) of every module in the source tree."""
    expected = set()
    for name, installed in SOURCE_DIRS.items():
        for path in (src / name).rglob("*.py"):
            expected.add(f"{installed}/{path.relative_to(src / name).as_posix()}")
    return expected


def test_wheel_installs_only_the_diarium_namespace(tmp_path: Path) -> None:
    src = tmp_path / "src"
    _copy_source(src)
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir",
         str(tmp_path / "dist"), str(src)],
        check=True, capture_output=True, text=True,
    )
    (wheel,) = (tmp_path / "dist").glob("diarium-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        top = {name.split("/")[0] for name in zf.namelist()}
        assert zf.getinfo("diarium/cli.py").file_size > 1000, "cli.py symlink not followed"
    assert top == {"diarium", f"diarium-{VERSION}.dist-info"}

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip())
    before = {p.name for p in site.iterdir()}
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
         "--no-index", "--quiet", str(wheel)],
        check=True, capture_output=True, text=True,
    )
    added = {p.name for p in site.iterdir()} - before
    assert added == {"diarium", f"diarium-{VERSION}.dist-info"}, added
    installed = {p.relative_to(site).as_posix() for p in (site / "diarium").rglob("*.py")}
    missing = _expected_modules(src) - installed
    assert not missing, f"modules missing from the wheel (list them in setup.cfg): {missing}"
    assert (site / "diarium" / "py.typed").exists()

    # Dependencies from the development environment, appended after the fresh one.
    (site / "zz_dev_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    imported = subprocess.run(
        [str(python), "-c", "import diarium, diarium.cli, diarium.web, diarium.indexer, "
         "diarium.extractors; print(diarium.__file__, diarium.cli.__file__)"],
        capture_output=True, text=True, cwd=tmp_path,  # not the checkout: it shadows
    )
    assert imported.returncode == 0, imported.stderr
    where = imported.stdout.split()
    assert all(Path(p).is_relative_to(site) for p in where), where
    result = subprocess.run([str(venv / "bin" / "diarium"), "--help"],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "import" in result.stdout and "status" in result.stdout
