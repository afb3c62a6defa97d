"""No function of the package or of the sandbox above cyclomatic complexity 15, as radon counts it
(`radon cc -s -n C function/backup_report sandbox` lists the ones above 10): one that grows past it is
split into named steps, not let through."""
from __future__ import annotations

from pathlib import Path

import pytest
from radon.complexity import cc_visit
from radon.visitors import Class, Function

ROOT = Path(__file__).resolve().parents[2]
MOST = 15
CHECKED = ("function/backup_report", "sandbox")


def functions(blocks) -> list[Function]:
    """Every function, method and closure among radon's blocks, once each (cc_visit lists a class's methods
    both on their own and in the class; a class's own figure is its methods')."""
    found: dict[tuple[int, str], Function] = {}

    def walk(blocks):
        for block in blocks:
            if isinstance(block, Function):
                found.setdefault((block.lineno, block.fullname), block)
                walk(block.closures)
            elif isinstance(block, Class):
                walk(block.methods)
                walk(block.inner_classes)

    walk(blocks)
    return list(found.values())


def too_complex(folder: str) -> list[str]:
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        for f in functions(cc_visit(path.read_text(encoding="utf-8"))):
            if f.complexity > MOST:
                found.append(f"{path.relative_to(ROOT).as_posix()}:{f.lineno} {f.fullname} ({f.complexity})")
    return found


@pytest.mark.parametrize("folder", CHECKED)
def test_no_function_is_above_complexity_15(folder):
    over = too_complex(folder)
    assert not over, f"split these into named functions (complexity at most {MOST}): {over}"


def test_the_check_sees_a_function_above_the_bound():
    branches = "".join(f"    if x == {n}:\n        return {n}\n" for n in range(MOST))
    blocks = cc_visit(f"class C:\n  def m(self, x):\n    def inner(x):\n{branches.replace('    ', '      ')}"
                      f"    return inner(x)\n")
    assert [(f.fullname, f.complexity) for f in functions(blocks) if f.complexity > MOST] == [("inner", MOST + 1)]
