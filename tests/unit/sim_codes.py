"""Which error codes each device step of the simulator can end with, found in the source.

Every function and method of aca_sim/sim is read with ast; a step can end with every
`Code.X` named in its procedure or in any function it reaches by call (a call is resolved by
name to every function of that name in sim/: an over-approximation, so a code is never
missed). Used by test_error_codes.py.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

SIM = Path(__file__).resolve().parents[2] / "src" / "aca_sim" / "sim"


def _functions() -> dict[str, list[ast.AST]]:
    """Module-level functions and methods by name (nested functions are read with the
    function that defines them)."""
    found: dict[str, list[ast.AST]] = defaultdict(list)
    for path in sorted(SIM.rglob("*.py")):
        module = ast.parse(path.read_text(), filename=str(path))
        for node in module.body:
            members = node.body if isinstance(node, ast.ClassDef) else [node]
            for member in members:
                if isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef):
                    found[member.name].append(member)
    return found


def _codes_and_calls(function: ast.AST) -> tuple[set[str], set[str]]:
    codes, calls = set(), set()
    for node in ast.walk(function):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "Code"
        ):
            codes.add(node.attr)
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                calls.add(func.id)
            elif isinstance(func, ast.Attribute):
                calls.add(func.attr)
    return codes, calls


def reachable_codes(entry: str) -> set[str]:
    """Codes the function(s) named `entry` in sim/ can raise, directly or through calls."""
    functions = _functions()
    seen, todo, codes = set(), [entry], set()
    while todo:
        name = todo.pop()
        if name in seen or name not in functions:
            continue
        seen.add(name)
        for function in functions[name]:
            found, calls = _codes_and_calls(function)
            codes |= found
            todo.extend(calls - seen)
    return codes
