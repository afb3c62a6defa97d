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

What the function never loads is then left out (`PRUNE_*` below: test suites, type stubs, C and
Cython sources, installer records, console scripts), each rule with its reason, and the native
modules' debug info is stripped where GNU strip is at hand. Last, the target Python (found on PATH
or in pyenv's versions) compiles every module into unchecked-hash pycs, so that FC's read-only /code
needs no compiling at a cold start; without that Python the package has no pycs, and the build says so.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
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


# What pip installs for developers and installers and the function never loads on FC: left out.
# Each rule's safety is shown by tests/e2e/test_build.py running the real handler from the package alone
# under the target Python against the sandbox, and by nothing shipped importing what was left out.
PRUNE_DIRS = {  # directories, by name, at any depth
    # The build machine's bytecode (PEP 3147's __pycache__, https://peps.python.org/pep-3147/); the
    # target's is compiled afterwards.
    "__pycache__": "the build machine's bytecode",
    # Test suites shipped in wheels (certifi/tests, websocket/tests; pycryptodome's Crypto/SelfTest,
    # run as `python -m Crypto.SelfTest`, https://www.pycryptodome.org/src/installation): only a
    # test runner imports them.
    "tests": "test suites", "test": "test suites", "SelfTest": "test suites",
}
PRUNE_SUFFIXES = {  # files, by suffix
    ".pyc": "the build machine's bytecode", ".pyo": "the build machine's bytecode",
    # Stub files are for type checkers, never imported (PEP 484, https://peps.python.org/pep-0484/#stub-files).
    ".pyi": "type stubs",
    # The Cython sources and C headers beside compiled modules serve building *against* a package
    # (`cimport`, https://cython.readthedocs.io/en/latest/src/userguide/sharing_declarations.html;
    # multidict.get_include(), cffi's recompiler): FC compiles nothing.
    ".pyx": "C and Cython sources", ".pxd": "C and Cython sources", ".pxi": "C and Cython sources",
    ".c": "C and Cython sources", ".h": "C and Cython sources",
}
PRUNE_NAMES = {  # files, by name
    "py.typed": "type stubs",  # the marker for type checkers (PEP 561, https://peps.python.org/pep-0561/)
    # The installer's records: optional (PEP 627, https://peps.python.org/pep-0627/), read by pip to
    # uninstall; RECORD would be wrong anyway once files are left out and pycs added. METADATA
    # (apscheduler and attrs read their versions with importlib.metadata) and entry_points.txt
    # (apscheduler finds its triggers and executors by entry point) stay.
    "RECORD": "installer records", "INSTALLER": "installer records", "REQUESTED": "installer records",
}
PRUNE_PREFIXES = {  # files, by the start of their name
    "_testcapi.": "test suites",  # multidict's C-API test module: imported by multidict's tests only
}


def excluded(rel: Path, is_dir: bool) -> str | None:
    """Why `rel` (a path in the package) is left out, or None to ship it."""
    if is_dir:
        # bin/: console scripts with this machine's interpreter in their shebang; FC runs none.
        return "console scripts" if rel.parts == ("bin",) else PRUNE_DIRS.get(rel.name)
    return PRUNE_SUFFIXES.get(rel.suffix) or PRUNE_NAMES.get(rel.name) \
        or next((why for prefix, why in PRUNE_PREFIXES.items() if rel.name.startswith(prefix)), None)


def prune(tree: Path) -> dict[str, int]:
    """Remove what `excluded` names; the count of files removed for each reason."""
    removed: dict[str, int] = {}
    for path in sorted(tree.rglob("*")):
        why = excluded(path.relative_to(tree), path.is_dir()) if path.exists() else None  # gone with its dir
        if why is None:
            continue
        if path.is_dir():
            count = sum(1 for p in path.rglob("*") if p.is_file())
            shutil.rmtree(path)
        else:
            count = 1
            path.unlink()
        removed[why] = removed.get(why, 0) + count
    return removed


def strip_debug_info(tree: Path) -> str:
    """Remove the debugging sections of the native modules, with GNU strip where this machine has it;
    says what was done.

    Many wheels' modules are built with -g: DWARF sections (.debug_*) are a third of the package and
    are read by debuggers only. They are not SHF_ALLOC sections, so the loader never maps them (ELF
    gABI, https://refspecs.linuxfoundation.org/elf/gabi4+/ch4.sheader.html), and `strip --strip-debug`
    removes those and nothing else (https://sourceware.org/binutils/docs/binutils/strip.html): the
    code, the dynamic symbols and .symtab stay.
    """
    modules = [str(so) for so in sorted(tree.rglob("*.so"))]
    tool = shutil.which("strip")
    found = subprocess.run([tool, "--version"], capture_output=True, text=True).stdout if tool else ""
    if not found.startswith("GNU strip"):
        return "no GNU strip (binutils) on this machine: the native modules keep their debug info (+3.4 MiB zipped)"
    subprocess.run([tool, "--strip-debug", *modules], check=True)
    return f"debug info stripped from {len(modules)} native modules ({found.splitlines()[0]})"


def target_interpreter(python: str) -> str | None:
    """A CPython `python` (X.Y) on this machine, on PATH or among pyenv's versions, or None.

    Only the runtime's own minor version may write the pycs: a pyc starts with a magic number that
    changes between minor versions and the import system ignores one that does not match
    (importlib.util.MAGIC_NUMBER, https://docs.python.org/3/library/importlib.html#importlib.util.MAGIC_NUMBER),
    and its name carries the interpreter's cache tag, `cpython-310` (PEP 3147).
    """
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    installed = sorted(str(path) for path in pyenv.glob(f"versions/{python}.*/bin/python{python}"))
    candidates = [shutil.which(f"python{python}"), *installed]
    for candidate in filter(None, candidates):  # a pyenv shim on PATH fails when that version is not selected
        probe = subprocess.run([candidate, "-I", "-c", "import sys; print(sys.implementation.cache_tag, "
                                "sys.version_info.releaselevel)"], capture_output=True, text=True)
        if probe.returncode == 0 and probe.stdout.split() == [f"cpython-{python.replace('.', '')}", "final"]:
            return candidate
    return None


COMPILERS = 2  # processes compiling the pycs: fixed (see compile_pycs), and this machine kind's cores


def compile_pycs(tree: Path, python: str) -> str:
    """Compile every module in `tree` with the target Python, next to its source as that Python looks
    for it (`__pycache__/NAME.cpython-310.pyc`, PEP 3147); says what was done.

    FC runs the code from /code, which is read-only ("[Errno 30] Read-only file system: '/code/…'",
    https://www.alibabacloud.com/help/doc-detail/181824.htm): without pycs each cold start compiles
    every module again and cannot keep the result (+1.0–1.2 s for this package). Unchecked-hash pycs
    (PEP 552, https://peps.python.org/pep-0552/) are used without looking at the source's mtime or
    hash, and hold no timestamp, so the same sources give the same bytes: PYTHONHASHSEED=0 fixes the
    order of frozensets in code objects, and since marshal's output depends on what the compiling
    process did before, the modules are dealt to a fixed number of processes in a fixed order,
    whatever the machine's cores. Recorded paths are relative; the import system sets each code
    object's file name to the source it loads the pyc for. Unchecked means a source edited
    in the package after the build is ignored: change function/ and build again. PYTHON* variables
    (PYTHONPYCACHEPREFIX would put the pycs elsewhere) are not passed on.
    """
    interpreter = target_interpreter(python)
    if interpreter is None:
        return (f"NO pycs: no CPython {python} here (python{python} on PATH or in pyenv's versions), and pycs of "
                f"another version would be ignored; FC will compile every module at each cold start (about +1 s). "
                f"Install Python {python} and build again")
    env = {name: value for name, value in os.environ.items() if not name.startswith("PYTHON")}
    sources = sorted(path.relative_to(tree).as_posix() for path in tree.rglob("*.py"))
    with tempfile.TemporaryDirectory() as lists, ThreadPoolExecutor(COMPILERS) as pool:
        def compile_share(share: int) -> subprocess.CompletedProcess:
            listing = Path(lists) / f"{share}.txt"
            listing.write_text("\n".join(sources[share::COMPILERS]) + "\n", encoding="utf-8")
            return subprocess.run([interpreter, "-m", "compileall", "-q", "--invalidation-mode", "unchecked-hash",
                                   "-i", str(listing)], cwd=tree, env={**env, "PYTHONHASHSEED": "0"},
                                  capture_output=True, text=True)
        failed = [done for done in pool.map(compile_share, range(COMPILERS)) if done.returncode != 0]
    if failed:
        sys.stderr.write("".join(done.stdout + done.stderr for done in failed))
        raise SystemExit(f"build: a module does not compile under {interpreter}")
    return f"{sum(1 for _ in tree.rglob('*.pyc'))} pycs (unchecked-hash, PEP 552) compiled by {interpreter}"


def write_zip(tree: Path, archive: Path) -> None:
    """Sorted entries and a fixed date: the same tree gives the same bytes. Deflated at zlib's default
    level: writestr() with a ZipInfo ignores a ZipFile's compresslevel."""
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(p for p in tree.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(path.relative_to(tree).as_posix(), date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if os.access(path, os.X_OK) else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())


def size(tree: Path) -> tuple[int, int]:
    files = [p for p in tree.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def install(code: Path, python: str) -> None:
    """function/requirements.txt into `code`, with every requirement the target Python has."""
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
            return
        print(f"build: pip judged markers for Python {sys.version_info[0]}.{sys.version_info[1]}; "
              f"adding what Python {python} needs: {', '.join(missing)}", flush=True)
        extra = sorted(set(extra) | set(missing))
    raise SystemExit(f"build: dependencies still missing for Python {python} after {MAX_ROUNDS} rounds: {missing}")


def build(out: Path, python: str = RUNTIME_PYTHON) -> Path:
    code = out / "code"
    install(code, python)
    copy_function(code)
    removed = prune(code)
    print(f"build: left out {sum(removed.values())} files the function never loads: "
          + ", ".join(f"{why} {count}" for why, count in sorted(removed.items())), flush=True)
    print(f"build: {strip_debug_info(code)}", flush=True)
    print(f"build: {compile_pycs(code, python)}", flush=True)
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
