"""Installs the Python package (python/) into a fresh venv, offline, and runs its pytest suite there.

The venv sees Debian's numpy, pandas, pytest, setuptools and pip (--system-site-packages; made
--without-pip, so python3-venv's ensurepip is not needed), and pip builds the package with them
(--no-build-isolation --no-index): nothing is downloaded. The package is copied first, so
that setuptools' build files stay out of the source tree.

usage: python_package_check.py SOURCE_DIR SCRATCH_DIR PYTHON_INTEROP_BRIDGE
"""
import os
import shutil
import subprocess
import sys

source, scratch, bridge = (os.path.abspath(a) for a in sys.argv[1:4])
venv = os.path.join(scratch, "venv")
copy = os.path.join(scratch, "python")
shutil.rmtree(scratch, ignore_errors=True)
os.makedirs(scratch)
shutil.copytree(os.path.join(source, "python"), copy,
                ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", ".pytest_cache"))
subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", venv], check=True)
py = os.path.join(venv, "bin", "python")
subprocess.run([py, "-m", "pip", "install", "-q", "--no-build-isolation", "--no-index", "--no-cache-dir", copy],
               check=True)
env = dict(os.environ, TINMAN_INTEROP_BRIDGE=bridge, TINMAN_TEST_INSTALLED="1", PYTHONDONTWRITEBYTECODE="1")
where = subprocess.run([py, "-c", "import tinman; print(tinman.__file__)"], check=True, capture_output=True,
                       text=True, cwd=scratch).stdout.strip()
assert where.startswith(venv), "tinman imported from %s, not the venv" % where
sys.exit(subprocess.run([py, "-m", "pytest", "-q", "-p", "no:cacheprovider", os.path.join(copy, "tests")],
                        env=env, cwd=scratch).returncode)
