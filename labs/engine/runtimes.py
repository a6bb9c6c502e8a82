"""What the AWS Lambda Python runtimes give a function, so a lab's function can be held to it.

A function may import its runtime version's standard library (from ``stdlib-list``, which keeps
the module list of each Python version: ``imp``, ``distutils``, ``asyncore``, ``asynchat`` and
``smtpd`` are gone from 3.12), boto3 and botocore (every Lambda Python runtime includes the SDK),
and modules it ships itself. Nothing of this project: it runs in AWS.
"""

import ast
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

# https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html (checked 2026-12): the Python
# runtimes Lambda offers, with the date after which it no longer lets you create functions on one.
PYTHON_RUNTIMES = {
    "python3.14": date(2029, 8, 31),
    "python3.13": date(2029, 8, 31),
    "python3.12": date(2029, 1, 10),
    "python3.11": date(2026, 8, 31),
    "python3.10": date(2026, 8, 31),
}
SDK = frozenset({"boto3", "botocore"})
PROJECT = frozenset({"labs", "own_account", "courseware", "cheatsheets", "quizzes", "tests", "manage"})


def runtime_problem(runtime: str, today: date | None = None) -> str:
    """Why AWS would not create a function on ``runtime`` (today), or ""."""
    if runtime not in PYTHON_RUNTIMES:
        return (f"AWS Lambda offers no runtime {runtime!r}: the Python runtimes are "
                f"{', '.join(sorted(PYTHON_RUNTIMES))}.")
    if (today or date.today()) > PYTHON_RUNTIMES[runtime]:
        return f"AWS Lambda no longer creates functions on {runtime} (since {PYTHON_RUNTIMES[runtime]:%Y-%m-%d})."
    return ""


@cache
def standard_library(runtime: str) -> frozenset:
    from stdlib_list import stdlib_list

    return frozenset(name.split(".")[0] for name in stdlib_list(runtime.removeprefix("python")))


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    module: str
    problem: str

    def __str__(self):
        return f"{self.path}:{self.line}: {self.problem}"


def imported_names(tree: ast.AST):
    """(line, module or None, how) for every import, static or dynamic. None: a dynamic import of a
    name that is not a string constant, which nobody can check."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, "import"
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.lineno, node.module, "import"
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__") and node.args:
                argument = node.args[0]
                constant = isinstance(argument, ast.Constant) and isinstance(argument.value, str)
                yield node.lineno, argument.value if constant else None, name


def import_findings(folder: Path, runtime: str) -> list[Finding]:
    """Every import in the function's folder that the Lambda runtime ``runtime`` would not satisfy."""
    allowed = standard_library(runtime) | SDK
    own = {path.stem for path in folder.rglob("*.py")} | {path.name for path in folder.iterdir() if path.is_dir()}
    findings = []
    for source in sorted(folder.rglob("*.py")):
        if "__pycache__" in source.parts:
            continue
        where = str(source.relative_to(folder.parent.parent.parent)) if len(source.parents) > 3 else str(source)
        for line, module, how in imported_names(ast.parse(source.read_text())):
            if module is None:
                findings.append(Finding(where, line, "?", f"{how}() of a computed name: nobody can check it"))
                continue
            top = module.split(".")[0]
            if top in PROJECT:
                findings.append(Finding(where, line, module, f"imports {module}, part of this project: the "
                                                             "function runs in AWS, where the project is not"))
            elif top not in allowed and top not in own:
                findings.append(Finding(where, line, module, f"imports {module}, which the AWS Lambda {runtime} "
                                                             "runtime does not have (standard library, boto3 and "
                                                             "botocore only; ship anything else in the zip or a layer)"))
    return findings
