"""`make build`: the code package `s deploy` uploads, built for FC's runtime on any machine.

    python scripts/build.py [--out dist]

writes `OUT/code/` (what s.yaml's `code: ./dist/code` points at) and `OUT/redis-backup-report.zip`
(the same tree, for the console or `s deploy` from a zip): `function/` without tests or caches,
and the dependencies of `function/requirements.txt` installed next to `index.py` as wheels for
FC's python3.10 runtime (CPython 3.10, Linux x86_64, glibc >= 2.17; `--python-version 3.12` for the
python3.12 runtime), whatever Python and OS this runs on. No Docker.

pip's `--python-version` picks wheels for the target but evaluates environment markers for the
Python running pip (pypa/pip#11010, #13296): built with 3.11, aiohttp's
`async-timeout; python_version < "3.11"` is left out and `import index` fails on FC. So after the
install every installed distribution's requirements are evaluated for the target, and anything
missing is added to the requirement list and the install repeated until nothing is missing.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

try:
    from packaging.requirements import Requirement  # in the dev venv (pytest needs it)
    from packaging.utils import canonicalize_name
    from packaging.version import Version
except ImportError:  # a bare interpreter: pip's own copy
    from pip._vendor.packaging.requirements import Requirement
    from pip._vendor.packaging.utils import canonicalize_name
    from pip._vendor.packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
FUNCTION = ROOT / "function"
ZIP_NAME = "redis-backup-report.zip"
RUNTIME_PYTHON = "3.10"  # s.yaml's runtime: python3.10


def platform(python: str) -> tuple[str, ...]:
    return ("--platform", "manylinux2014_x86_64", "--implementation", "cp", "--python-version", python,
            "--only-binary=:all:")


def target_environment(python: str) -> dict[str, str]:
    """The PEP 508 environment of FC's runtime for `python` (Linux x86_64, CPython)."""
    return {"python_version": python, "python_full_version": f"{python}.0", "implementation_name": "cpython",
            "implementation_version": f"{python}.0", "platform_python_implementation": "CPython",
            "sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64", "os_name": "posix",
            "platform_release": "", "platform_version": "", "extra": ""}

SKIP_DIRS = {"__pycache__", "tests", "test", ".pytest_cache", ".hypothesis"}
SKIP_FILES = {"requirements.txt", "conftest.py"}
MAX_ROUNDS = 5


def copy_function(dest: Path) -> None:
    for path in sorted(FUNCTION.rglob("*")):
        rel = path.relative_to(FUNCTION)
        if any(part in SKIP_DIRS for part in rel.parts) or path.is_dir():
            continue
        if path.name in SKIP_FILES or path.name.startswith("test_") or path.suffix in (".pyc", ".pyo"):
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest / rel)


def pip_install(target: Path, requirements: list[str], python: str) -> None:
    command = [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "--no-compile",
               "--target", str(target), *platform(python), "-r", str(FUNCTION / "requirements.txt"), *requirements]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"build: pip install failed ({done.returncode})")


def installed(target: Path) -> dict[str, tuple[Version, list[str]]]:
    """Name -> (version, Requires-Dist lines) of every distribution in `target`."""
    found = {}
    for dist_info in target.glob("*.dist-info"):
        meta = Parser().parsestr((dist_info / "METADATA").read_text(encoding="utf-8"), headersonly=True)
        found[canonicalize_name(meta["Name"])] = (Version(meta["Version"]), meta.get_all("Requires-Dist") or [])
    return found


def missing_for_target(target: Path, python: str = RUNTIME_PYTHON) -> list[str]:
    """Requirements that hold on the target runtime but that no installed distribution meets."""
    dists = installed(target)
    missing: dict[str, str] = {}
    for name, (_, requires) in sorted(dists.items()):
        for line in requires:
            req = Requirement(line)
            if req.marker is not None and not req.marker.evaluate(target_environment(python)):
                continue
            have = dists.get(canonicalize_name(req.name))
            if have is None or not req.specifier.contains(have[0], prereleases=True):
                req.marker = None
                missing.setdefault(canonicalize_name(req.name), str(req))
    return sorted(missing.values())


def strip(tree: Path) -> None:
    for cache in sorted(tree.rglob("__pycache__"), reverse=True):
        shutil.rmtree(cache)
    for compiled in [*tree.rglob("*.pyc"), *tree.rglob("*.pyo")]:
        compiled.unlink()
    # Console scripts carry this machine's interpreter path in their shebang; FC never runs them.
    shutil.rmtree(tree / "bin", ignore_errors=True)


def write_zip(tree: Path, archive: Path) -> None:
    """Sorted entries and a fixed date: the same tree gives the same bytes."""
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for path in sorted(p for p in tree.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(path.relative_to(tree).as_posix(), date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if os.access(path, os.X_OK) else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())


def size(tree: Path) -> tuple[int, int]:
    files = [p for p in tree.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def build(out: Path, python: str = RUNTIME_PYTHON) -> Path:
    code = out / "code"
    extra: list[str] = []
    for _ in range(MAX_ROUNDS):
        if code.exists():
            shutil.rmtree(code)
        code.mkdir(parents=True)
        print(f"build: installing function/requirements.txt {' '.join(extra)} for CPython {python} "
              "manylinux2014_x86_64", flush=True)
        pip_install(code, extra, python)
        missing = missing_for_target(code, python)
        if not missing:
            break
        print(f"build: pip judged markers for Python {sys.version_info[0]}.{sys.version_info[1]}; "
              f"adding what Python {python} needs: {', '.join(missing)}", flush=True)
        extra = sorted(set(extra) | set(missing))
    else:
        raise SystemExit(f"build: dependencies still missing for Python {python} after {MAX_ROUNDS} rounds: {missing}")
    copy_function(code)
    strip(code)
    archive = out / ZIP_NAME
    write_zip(code, archive)
    files, unpacked = size(code)
    print(f"build: {code} ({files} files, {unpacked / 2**20:.1f} MiB unpacked)")
    print(f"build: {archive} ({archive.stat().st_size / 2**20:.1f} MiB)")
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="output directory (default: dist)")
    parser.add_argument("--python-version", default=RUNTIME_PYTHON, metavar="X.Y",
                        help=f"the runtime's Python (default {RUNTIME_PYTHON}; 3.12 for runtime: python3.12)")
    args = parser.parse_args(argv)
    build(args.out.resolve(), args.python_version)
    return 0


if __name__ == "__main__":
    sys.exit(main())
