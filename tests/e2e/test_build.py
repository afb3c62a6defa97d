"""`make build`'s package: what s.yaml deploys must run on FC's python3.10 (Linux x86_64).

The build runs once for the run, in whichever pytest-xdist worker needs it first (it downloads wheels
from PyPI). Each check is a function that returns the problems it finds, run on the real package and on
a deliberately broken tree, so every check is shown to be able to fail.
"""
from __future__ import annotations

import fcntl
import importlib.util
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("build_script", REPO / "scripts" / "build.py")
BUILD = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(BUILD)
# The CPython 3.10 the build compiles with (on PATH or in pyenv's versions), as the build finds it.
PY310 = BUILD.target_interpreter("3.10")
NO_PY310 = "no CPython 3.10 on PATH or in pyenv's versions: the build ships no pycs (and says so); this needs one"
CP310 = ".cpython-310-x86_64-linux-gnu.so"
GNU_STRIP = shutil.which("strip") is not None and subprocess.run(
    ["strip", "--version"], capture_output=True, text=True).stdout.startswith("GNU strip")
FC_PY310 = {"python_version": "3.10", "python_full_version": "3.10.0", "implementation_name": "cpython",
            "platform_python_implementation": "CPython", "sys_platform": "linux", "platform_system": "Linux",
            "platform_machine": "x86_64", "os_name": "posix", "extra": ""}


def build(out: Path) -> str:
    done = subprocess.run([sys.executable, str(REPO / "scripts" / "build.py"), "--out", str(out)],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> tuple[Path, str]:
    """The build's output folder and what it printed, once for the run. Under pytest-xdist (`make test`) the
    first worker that needs it builds into the run's own temporary folder (each worker's gwN sits in it)
    while any other waits on a lock, and then reads the same output."""
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        out = tmp_path_factory.mktemp("dist")
        return out, build(out)
    shared = tmp_path_factory.getbasetemp().parent
    out, printed = shared / "dist", shared / "dist.stdout"
    with open(shared / "dist.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not printed.exists():
            shutil.rmtree(out, ignore_errors=True)  # what a failed build in another worker left
            out.mkdir()
            printed.write_text(build(out))
    return out, printed.read_text()


@pytest.fixture(scope="module")
def code(built) -> Path:
    return built[0] / "code"


# --- checks -------------------------------------------------------------------------------------

# What the build leaves out of the package, by directory name, suffix, name and name prefix.
LEFT_OUT_DIRS = {"tests", "test", "SelfTest"}
LEFT_OUT_SUFFIXES = {".pyo", ".pyi", ".pyx", ".pxd", ".pxi", ".c", ".h"}
# The only bytecode shipped: CPython 3.10's, where it looks for it (PEP 3147).
PYC_FOR_PY310 = re.compile(r"(.*/)?__pycache__/[^/]+\.cpython-310\.pyc")
LEFT_OUT_NAMES = {"py.typed", "RECORD", "INSTALLER", "REQUESTED", "conftest.py"}


def files_that_must_not_ship(tree: Path) -> list[str]:
    bad = []
    for path in tree.rglob("*"):
        rel = path.relative_to(tree).as_posix()
        if path.is_dir() and path.name in LEFT_OUT_DIRS:
            bad.append(rel)
        elif path.suffix in LEFT_OUT_SUFFIXES or path.name in LEFT_OUT_NAMES or path.name.startswith("_testcapi."):
            bad.append(rel)
        elif path.suffix == ".pyc" and not PYC_FOR_PY310.fullmatch(rel):
            bad.append(rel)  # the build machine's bytecode, or another Python's
        elif path.parent == tree and path.name in ("sandbox", "bench", "bin", "fc2", "scripts"):
            bad.append(rel)  # fc2: the runtime has its own; bin: scripts with this machine's shebang
        elif re.match(r"test_.*\.py$", path.name) and "backup_report" in rel:
            bad.append(rel)
    return sorted(bad)


IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+([.\w]+)[ \t]+import[ \t]+\(?([\w., \t]+)|import[ \t]+([\w., \t]+))", re.M)


def imports_of_left_out_modules(tree: Path) -> list[str]:
    """Shipped modules whose import statements name a test package or module the build leaves out."""
    left_out = {"tests", "test", "SelfTest", "_testcapi"}
    bad = []
    for source in sorted(tree.rglob("*.py")):
        for match in IMPORT.finditer(source.read_text(encoding="utf-8", errors="replace")):
            names = set(re.split(r"[.,\s]+", " ".join(filter(None, match.groups()))))
            if names & left_out:
                bad.append(f"{source.relative_to(tree).as_posix()}: {match.group(0).strip()}")
    return bad


def wheel_tags(tree: Path) -> dict[str, list[str]]:
    """Top-level package or module -> the Tag lines of the wheel it came from (the package ships no
    RECORD: its top_level.txt, or else the distribution's own name)."""
    owner = {}
    for dist_info in tree.glob("*.dist-info"):
        tags = [line.split(":", 1)[1].strip() for line in (dist_info / "WHEEL").read_text().splitlines()
                if line.startswith("Tag:")]
        top_level = dist_info / "top_level.txt"
        names = top_level.read_text().split() if top_level.exists() else [dist_info.name.split("-")[0]]
        for name in names:
            owner[name] = tags
    return owner


def abi3_fits_cp310(tag: str) -> bool:
    match = re.fullmatch(r"cp3(\d+)-abi3-(manylinux[^ ]*x86_64)", tag)
    return bool(match) and int(match.group(1)) <= 10 and "aarch64" not in tag


def native_modules_not_for_fc(tree: Path) -> list[str]:
    owner = wheel_tags(tree)
    bad = []
    for so in sorted(tree.rglob("*.so")):
        rel = so.relative_to(tree).as_posix()
        if so.name.endswith(CP310):
            continue
        tags = owner.get(rel.split("/")[0])
        if so.name.endswith(".abi3.so") and tags and all(abi3_fits_cp310(t) for t in tags):
            continue
        bad.append(f"{rel} (wheel tags {tags or 'unknown'})")
    return bad


def elf_section_names(data: bytes) -> list[str]:
    """The section names of an ELF64 little-endian file (the System V gABI's section header table)."""
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    headers = [struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize) for i in range(shnum)]
    strtab = data[headers[shstrndx][4]:headers[shstrndx][4] + headers[shstrndx][5]]
    return [strtab[h[0]:strtab.index(b"\0", h[0])].decode() for h in headers]


def native_modules_with_debug_info(tree: Path) -> list[str]:
    return sorted(so.relative_to(tree).as_posix() for so in tree.rglob("*.so")
                  if any(name.startswith(".debug_") for name in elf_section_names(so.read_bytes())))


def tiny_elf(*sections: str) -> bytes:
    """An ELF64 header and section header table naming `sections` (and nothing else)."""
    strtab = b"\0" + b"".join(name.encode() + b"\0" for name in (*sections, ".shstrtab"))
    names = [0] + [strtab.index(name.encode() + b"\0") for name in (*sections, ".shstrtab")]
    shoff = 64 + len(strtab)
    header = b"\x7fELF\x02\x01\x01" + bytes(0x28 - 7) + struct.pack("<Q", shoff) + bytes(0x3A - 0x30) \
        + struct.pack("<HHH", 64, len(names), len(names) - 1)
    last = len(names) - 1  # .shstrtab, right after the ELF header
    table = b"".join(struct.pack("<IIQQQQIIQQ", n, 1, 0, 0, 64 if i == last else 0, len(strtab) if i == last else 0,
                                 0, 0, 1, 0) for i, n in enumerate(names))
    return header + strtab + table


# Run by CPython 3.10 on a tree: every module's pyc where 3.10 looks for it, with 3.10's magic
# number, unchecked-hash flags (PEP 552: bit 0 hash-based, bit 1 check_source) and its source's hash.
PYC_PROBE = """
import importlib.util, json, pathlib, sys
tree = pathlib.Path(sys.argv[1])
problems = []
for source in sorted(tree.rglob("*.py")):
    rel = source.relative_to(tree).as_posix()
    pyc = pathlib.Path(importlib.util.cache_from_source(str(source)))
    if not pyc.is_file():
        problems.append(rel + ": no pyc")
        continue
    head = pyc.read_bytes()[:16]
    if head[:4] != importlib.util.MAGIC_NUMBER:
        problems.append(rel + ": magic " + head[:4].hex())
    elif int.from_bytes(head[4:8], "little") != 0b01:
        problems.append(rel + ": flags " + str(int.from_bytes(head[4:8], "little")) + ", not unchecked-hash")
    elif head[8:16] != importlib.util.source_hash(source.read_bytes()):
        problems.append(rel + ": stale (not the source's hash)")
print(json.dumps(problems))
"""


def pycs_not_for_python310(tree: Path) -> list[str]:
    done = subprocess.run([PY310, "-I", "-c", PYC_PROBE, str(tree)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def compiled_or_written(verbose_stderr: str, tree: Path) -> list[str]:
    """From CPython's -v trace: every module of `tree` compiled from its source (-v names each code
    object's origin, a pyc or the source it compiled) and every pyc written or not writable."""
    origins = re.findall(r"^# code object from '?(.*?)'?$", verbose_stderr, re.M)
    assert any(origin.startswith(str(tree)) for origin in origins), "-v names no module of the package"
    return [line for line in verbose_stderr.splitlines() if line.startswith(("# created", "# could not create"))] \
        + [origin for origin in origins if origin.startswith(str(tree)) and not origin.endswith(".pyc")]


def requirements_missing_on_py310(tree: Path) -> list[str]:
    """Requires-Dist of every shipped distribution, evaluated for FC's Python 3.10, met inside the tree."""
    dists = {}
    for dist_info in tree.glob("*.dist-info"):
        meta = Parser().parsestr((dist_info / "METADATA").read_text(encoding="utf-8"), headersonly=True)
        dists[canonicalize_name(meta["Name"])] = (Version(meta["Version"]), meta.get_all("Requires-Dist") or [])
    missing = []
    for name, (_, requires) in sorted(dists.items()):
        for line in requires:
            req = Requirement(line)
            if req.marker is not None and not req.marker.evaluate(dict(FC_PY310)):
                continue
            have = dists.get(canonicalize_name(req.name))
            if have is None or not req.specifier.contains(have[0], prereleases=True):
                missing.append(f"{name} needs {req}")
    return missing


# --- the real package ---------------------------------------------------------------------------

def test_build_prints_the_package_size(built):
    out, stdout = built
    assert re.search(r"code \(\d+ files, [\d.]+ MiB unpacked\)", stdout), stdout
    assert re.search(r"redis-backup-report\.zip \([\d.]+ MiB\)", stdout), stdout


def test_handler_and_its_dependencies_sit_at_the_code_root(code):
    assert (code / "index.py").read_text() == (REPO / "function" / "index.py").read_text()
    assert (code / "backup_report" / "app.py").is_file()
    assert (code / "alibabacloud_r_kvstore20150101").is_dir(), "dependencies belong next to index.py"
    assert not (code / "requirements.txt").exists()


def test_the_package_is_function_s_never_the_roots_hand_over(code):
    # The clone's root has a backup_report/ of its own, which only hands `python -m backup_report` over to
    # function/'s (docs/cli.md): it must never be what FC imports.
    assert (code / "backup_report" / "__init__.py").read_bytes() == \
        (REPO / "function" / "backup_report" / "__init__.py").read_bytes()
    assert (code / "backup_report" / "__init__.py").read_bytes() != (REPO / "backup_report" / "__init__.py").read_bytes()


def test_package_ships_no_tests_stubs_sources_installer_records_sandbox_or_fc2(code, built):
    assert files_that_must_not_ship(code) == []
    assert re.search(r"left out \d+ files the function never loads: .*test suites \d+", built[1]), built[1]


def test_nothing_shipped_imports_what_the_build_left_out(code):
    assert imports_of_left_out_modules(code) == []
    assert (code / "Crypto" / "Cipher" / "AES.py").is_file(), "the OSS SDK's Crypto stays, less its SelfTest"
    assert list(code.glob("*.dist-info/METADATA")) and list(code.glob("apscheduler-*.dist-info/entry_points.txt"))


def test_every_module_the_package_imports_is_shipped(code):
    # Lazy imports too (inside functions): fan-out's pieces import the FC SDK only when a run splits, so a
    # dependency kept in requirements-dev.txt alone would pass every other test and fail on FC. The CLI
    # (backup_report/cli) runs from the clone on the dev venv, never on FC: its sandbox, PyYAML and jsonschema.
    import ast

    wanted = set()
    for source in (code / "backup_report").rglob("*.py"):
        if "cli" in source.relative_to(code / "backup_report").parts[:1]:
            continue
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                wanted |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                wanted.add(node.module.split(".")[0])
    wanted -= set(sys.stdlib_module_names) | {"backup_report", "__future__"}
    assert "alibabacloud_fc20230330" in wanted
    missing = sorted(m for m in wanted if not (code / m).is_dir() and not (code / f"{m}.py").is_file()
                     and not list(code.glob(f"{m}.*.so")))
    assert missing == [], f"imported by the package but not shipped: {missing}"


def test_every_native_module_is_built_for_cpython310_x86_64(code):
    modules = list(code.rglob("*.so"))
    assert len(modules) >= 5, "the SDK's dependencies (aiohttp, cryptography, …) carry native modules"
    assert native_modules_not_for_fc(code) == []


@pytest.mark.skipif(not GNU_STRIP, reason="no GNU strip on this machine: the build keeps the debug info, and says so")
def test_native_modules_ship_without_debug_info(code, built):
    assert "debug info stripped from" in built[1], built[1]
    assert native_modules_with_debug_info(code) == []
    assert ".symtab" in elf_section_names(next((code / "multidict").glob("_multidict.*.so")).read_bytes())


def test_every_dependency_python310_needs_is_shipped(code):
    # pip evaluates markers for the Python running it: a 3.11 build would miss async-timeout.
    assert requirements_missing_on_py310(code) == []
    assert (code / "async_timeout").is_dir()


def test_zip_holds_the_same_tree_with_index_at_its_root(built, code):
    out, _ = built
    with zipfile.ZipFile(out / "redis-backup-report.zip") as zf:
        names = set(zf.namelist())
    assert "index.py" in names
    assert names == {p.relative_to(code).as_posix() for p in code.rglob("*") if p.is_file()}


def test_syaml_deploys_the_build_output():
    props = yaml.safe_load((REPO / "s.yaml").read_text())["resources"]["backup-report"]["props"]
    assert props["code"] == "./dist/code"
    assert props["handler"] == "index.handler" and props["runtime"] == "python3.10"


@pytest.mark.skipif(PY310 is None, reason=NO_PY310)
def test_package_ships_unchecked_hash_pycs_for_python310(code, built):
    assert re.search(r"\d+ pycs \(unchecked-hash, PEP 552\) compiled by \S+", built[1]), built[1]
    assert pycs_not_for_python310(code) == []


def test_without_python310_the_build_ships_no_pycs_and_says_so(tmp_path, monkeypatch):
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "python3.10").symlink_to(sys.executable)  # named 3.10, is 3.11: its pycs would be ignored
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "pyenv"))
    assert BUILD.target_interpreter("3.10") is None
    tree = tmp_path / "code"
    tree.mkdir()
    (tree / "index.py").write_text("")
    said = BUILD.compile_pycs(tree, "3.10")
    assert said.startswith("NO pycs: no CPython 3.10 here"), said
    assert list(tree.rglob("*.pyc")) == []


# Run by CPython 3.10 with only the package on sys.path: FC's context, the handler twice (the second
# run reads the first one's archive), and the native modules the SDKs load, named once more.
RUN_HANDLER = """
import json, sys, types
sys.path.insert(0, sys.argv[1])
import index, cryptography.hazmat.bindings._rust, aiohttp, yarl, multidict, frozenlist
spec = json.loads(sys.stdin.read())
results = []
for request_id in ("build-1", "build-2"):
    context = types.SimpleNamespace(
        request_id=request_id, region=spec["region"], credentials=types.SimpleNamespace(**spec["credentials"]),
        function=types.SimpleNamespace(name="redis-backup-report", handler="index.handler", memory=256, timeout=300))
    results.append(index.handler(spec["event"].encode(), context))
print(json.dumps({"python": sys.version_info[:2], "results": results}))
"""


@pytest.mark.skipif(PY310 is None, reason=NO_PY310)
def test_real_handler_runs_from_the_package_alone_under_python310_compiling_nothing(code, serve, tmp_path):
    # What the build left out is safe to leave out if the function's code paths never miss it: the
    # demo fleet through every channel, the heartbeat and the OSS archive, with no site-packages, no
    # user site and no PYTHON* variables (-I -S). And FC's /code is read-only: a module compiled
    # there (-v shows it) would be compiled again at every cold start.
    from sandbox.demo import DEMO_SETTINGS, demo_trigger_time

    sb = serve("demo", demo_trigger_time())
    env = {**sb.env(), **sb.archive_env(), **DEMO_SETTINGS, "PATH": os.environ["PATH"]}
    for name in ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN"):
        del env[name]  # as on FC: the role's STS token comes in the context
    credentials = sb.credentials
    spec = {"event": (REPO / "events" / "timer.json").read_text(), "region": sb.regions[0],
            "credentials": {"access_key_id": credentials.access_key_id, "security_token": credentials.security_token,
                            "access_key_secret": credentials.access_key_secret}}
    done = subprocess.run([PY310, "-I", "-S", "-v", "-c", RUN_HANDLER, str(code)], input=json.dumps(spec),
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-4000:]
    out = json.loads(done.stdout.splitlines()[-1])
    assert out["python"] == [3, 10]
    first, second = map(json.loads, out["results"])  # the handler returns the result JSON
    for result in (first, second):
        assert result["status"] == "alert" and result["unchecked_regions"] == [], result
        assert [d["ok"] for d in result["deliveries"]] == [True] * 4, result["deliveries"]
        assert [h["ok"] for h in result["heartbeat"]] == [True, True], result["heartbeat"]
        assert result["archive"]["ok"] and len(result["archive"]["written"]) == 3, result["archive"]
    assert second["archive"]["previous"] == first["archive"]["written"][0], second["archive"]
    assert [len(sb.dingtalk.messages), len(sb.slack.messages), len(sb.feishu.messages), len(sb.wecom.messages)] \
        == [2, 2, 2, 2]
    assert compiled_or_written(done.stderr, code) == []
    assert files_that_must_not_ship(code) == []


# --- the checks can fail ------------------------------------------------------------------------

@pytest.fixture
def broken(tmp_path, code) -> Path:
    tree = tmp_path / "code"
    tree.mkdir()
    (tree / "index.py").write_text("")
    (tree / "__pycache__").mkdir()
    (tree / "__pycache__" / "index.cpython-310.pyc").write_bytes(b"")
    (tree / "__pycache__" / "index.cpython-311.pyc").write_bytes(b"")
    (tree / "tests").mkdir()
    (tree / "fc2").mkdir()
    (tree / "backup_report").mkdir()
    (tree / "backup_report" / "test_app.py").write_text("")
    (tree / "backup_report" / "app.pyc").write_bytes(b"")
    (tree / "thing.cpython-311-x86_64-linux-gnu.so").write_bytes(b"")
    (tree / "other.cpython-310-darwin.so").write_bytes(b"")
    shutil.copytree(next(code.glob("aiohttp-*.dist-info")), tree / "aiohttp-3.0.dist-info")
    dist = tree / "mac-1.0.dist-info"
    dist.mkdir()
    (dist / "WHEEL").write_text("Wheel-Version: 1.0\nTag: cp311-abi3-macosx_11_0_arm64\n")
    (dist / "top_level.txt").write_text("mac\n")
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: mac\nVersion: 1.0\n")
    (tree / "mac").mkdir()
    (tree / "mac" / "_x.abi3.so").write_bytes(b"")
    for left_out in ("Crypto/SelfTest/__init__.py", "attr/__init__.pyi", "attr/py.typed", "yarl/_quoting_c.pyx",
                     "cffi/parse_c_type.h", "mac-1.0.dist-info/RECORD",
                     "multidict/_testcapi.cpython-310-x86_64-linux-gnu.so"):
        (tree / left_out).parent.mkdir(parents=True, exist_ok=True)
        (tree / left_out).write_text("")
    (tree / "mac" / "__init__.py").write_text("from Crypto.SelfTest import run\nimport multidict._testcapi as t\n"
                                              "from .tests import helpers\nimport json, os.path\n")
    return tree


def test_checks_find_what_must_not_ship(broken):
    assert files_that_must_not_ship(broken) == [
        "Crypto/SelfTest", "__pycache__/index.cpython-311.pyc", "attr/__init__.pyi", "attr/py.typed",
        "backup_report/app.pyc", "backup_report/test_app.py",
        "cffi/parse_c_type.h", "fc2", "mac-1.0.dist-info/RECORD",
        "multidict/_testcapi.cpython-310-x86_64-linux-gnu.so", "tests", "yarl/_quoting_c.pyx"]


def test_checks_find_imports_of_what_was_left_out(broken):
    assert imports_of_left_out_modules(broken) == [
        "mac/__init__.py: from Crypto.SelfTest import run", "mac/__init__.py: import multidict._testcapi as t",
        "mac/__init__.py: from .tests import helpers"]


def test_checks_find_native_modules_for_another_python_or_platform(broken):
    found = native_modules_not_for_fc(broken)
    assert [f.split(" ")[0] for f in found] == ["mac/_x.abi3.so", "other.cpython-310-darwin.so",
                                               "thing.cpython-311-x86_64-linux-gnu.so"]
    assert not abi3_fits_cp310("cp311-abi3-manylinux_2_17_x86_64")
    assert abi3_fits_cp310("cp39-abi3-manylinux2014_x86_64")


@pytest.mark.skipif(PY310 is None, reason=NO_PY310)
def test_checks_find_missing_stale_timestamped_and_foreign_pycs(tmp_path):
    tree = tmp_path / "code"
    tree.mkdir()
    for name in ("fresh", "foreign", "missing", "stale", "timestamped"):
        (tree / f"{name}.py").write_text(f"NAME = {name!r}\n")
    compile_with = ("import py_compile as c, sys; m = c.PycInvalidationMode; "
                    "[c.compile(f, cfile=p, invalidation_mode=m[mode], doraise=True) for f, p, mode in "
                    "zip(*[iter(sys.argv[1:])] * 3)]")
    pyc = f"{tree}/__pycache__/{{}}.cpython-310.pyc"
    subprocess.run([PY310, "-c", compile_with, f"{tree}/fresh.py", pyc.format("fresh"), "UNCHECKED_HASH",
                    f"{tree}/stale.py", pyc.format("stale"), "UNCHECKED_HASH",
                    f"{tree}/timestamped.py", pyc.format("timestamped"), "TIMESTAMP"], check=True)
    # 3.11's bytecode under 3.10's name: another magic number
    subprocess.run([sys.executable, "-c", compile_with, f"{tree}/foreign.py", pyc.format("foreign"), "UNCHECKED_HASH"],
                   check=True)
    (tree / "stale.py").write_text("NAME = 'edited after the build'\n")
    problems = pycs_not_for_python310(tree)
    assert problems[0].startswith("foreign.py: magic ") and problems[1:] == [
        "missing.py: no pyc", "stale.py: stale (not the source's hash)", "timestamped.py: flags 0, not unchecked-hash"]
    (tree / "index.py").write_text("import fresh, missing\n")
    done = subprocess.run([PY310, "-I", "-S", "-v", "-c", "import sys; sys.path.insert(0, sys.argv[1]); import index",
                           str(tree)], capture_output=True, text=True, timeout=60, check=True)
    compiled = compiled_or_written(done.stderr, tree)
    assert [line.split(" ")[1] for line in compiled if line.startswith("#")] == ["created", "created"]  # index, missing
    assert compiled[-2:] == [str(tree / "index.py"), str(tree / "missing.py")]


def test_checks_find_native_modules_with_debug_info(tmp_path):
    (tmp_path / "debug.so").write_bytes(tiny_elf(".text", ".debug_info", ".symtab"))
    (tmp_path / "stripped.so").write_bytes(tiny_elf(".text", ".symtab"))
    assert elf_section_names((tmp_path / "stripped.so").read_bytes()) == ["", ".text", ".symtab", ".shstrtab"]
    assert native_modules_with_debug_info(tmp_path) == ["debug.so"]


def test_checks_find_dependencies_python310_needs(broken):
    # aiohttp's own requirements are absent from the broken tree, async-timeout among them
    missing = requirements_missing_on_py310(broken)
    assert any(m.startswith("aiohttp needs async-timeout") for m in missing), missing
