"""Not the package: `python -m backup_report …` typed at the clone's root finds this folder first (the current
directory leads sys.path), and it hands over to the real one, function/backup_report.

It puts function/ first on sys.path and puts the real package in its own place in sys.modules, which the
import system then returns: importlib takes the module it returns from sys.modules after the load, "an imported
module may replace itself in sys.modules" (https://docs.python.org/3/reference/import.html#loading, note 2;
CPython's behaviour, which is what the clone runs), so `-m` runs function/backup_report/__main__.py.
When this Python lacks the function's dependencies (the system's `python3`, say), a `-m` run goes on in
the clone's .venv, or says how to make one. It is never deployed: scripts/build.py packages function/ alone.
"""
import importlib
import os
import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]
_FUNCTION = str(_ROOT / "function")


def _hand_over() -> None:
    if not (Path(_FUNCTION) / __name__ / "__init__.py").is_file():  # else the import below finds this one again
        raise ImportError(f"{__name__}: no {_FUNCTION}/{__name__} beside this folder")
    sys.path.insert(0, _FUNCTION)
    del sys.modules[__name__]
    typed = sys.argv[:1] == ["-m"]  # as `python -m backup_report …`, while runpy looks for __main__
    try:
        sys.modules[__name__] = importlib.import_module(__name__)
        if typed:
            importlib.import_module(f"{__name__}.cli")  # what __main__ imports: every dependency of the CLI
    except ModuleNotFoundError as missing:
        if not typed or (missing.name or "").startswith(__name__):
            raise
        venv = _ROOT / ".venv" / "bin" / "python"
        if venv.is_file() and (_ROOT / ".venv" / ".installed").exists() \
                and Path(sys.prefix).resolve() != (_ROOT / ".venv").resolve():
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [_FUNCTION, os.environ.get("PYTHONPATH")]))}
            os.execve(str(venv), [str(venv), "-m", __name__, *sys.argv[1:]], env)
        importlib.import_module(f"{__name__}.dependencies").lacking(missing, _ROOT)


_hand_over()
