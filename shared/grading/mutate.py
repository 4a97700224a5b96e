"""Generated mutants: small, mechanical bugs inside a lab's solution regions.

The hand-written mutants in ``tests/mutants/`` are the mistakes a learner is likely to make;
this module adds the ones nobody thought of. Each mutant changes one spot of one solution region,
the way a learner's slip would:

=============  =================================================================
``compare``    a comparison flipped at its boundary or negated: ``<`` -> ``<=``, ``==`` -> ``!=``, ``in`` -> ``not in``
``branch``     an ``if`` whose test is replaced by ``True`` (always taken) or ``False`` (dropped)
``statement``  a call statement replaced by ``pass`` (a side effect forgotten)
``return``     a returned constant replaced (a number +1, a string emptied, a bool flipped)
``number``     an integer constant off by one (+1 and -1)
``boolop``     ``and`` <-> ``or``
``not``        a ``not`` dropped
``parameter``  a parameter with a default ignored: its uses replaced by the default
=============  =================================================================

Mutants are spliced into the file's text (only the changed expression or statement is rewritten),
so a mutant keeps the file's comments, layout and line numbers. Each is a whole copy of the module,
named ``<module>__g<NNN>_<kind>.py`` so ``shared.grading.mutants.sweep`` grades it like a
hand-written one. Standard library only.
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass
from pathlib import Path

from shared.grading.exercises import exercise_of, region_owners
from shared.grading.regions import BEGIN, END

COMPARE_SWAPS = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In,
    ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}


@dataclass(frozen=True)
class Region:
    """One solution region: its module, the lines strictly between its markers, and its owner."""

    module: str
    path: Path
    first: int  # first line inside the region
    last: int  # last line inside the region
    function: str  # qualified name of the function holding it
    exercise: int | None

    def holds(self, node: ast.AST) -> bool:
        return self.first <= node.lineno and node.end_lineno <= self.last


@dataclass(frozen=True)
class Mutant:
    module: str
    function: str
    exercise: int | None
    line: int
    kind: str
    before: str  # the source of what changed (its first line)
    after: str
    source: str  # the whole mutated module

    def describe(self) -> str:
        return f"{self.module}.py:{self.line} {self.function} [{self.kind}] {self.before} -> {self.after}"


def solution_regions(lab_id: str, kit_root: Path) -> list[Region]:
    """Every solution region of the lab's modules, in file and line order."""
    regions = []
    for path in sorted((Path(kit_root) / "labs" / lab_id).glob("*.py")):
        source = path.read_text(encoding="utf-8")
        owners = region_owners(source)
        begin = None
        for number, line in enumerate(source.splitlines(), start=1):
            if BEGIN.match(line):
                begin = number
            elif END.match(line) and begin is not None:
                owner = owners[begin]
                exercise = exercise_of(lab_id, path.stem, owner, kit_root)
                regions.append(Region(path.stem, path, begin + 1, number - 1, owner,
                                      exercise.number if exercise else None))
                begin = None
    return regions


# --------------------------------------------------------------------------------------------
# Splicing: replace the text of some nodes, leave every other character alone


def _offsets(source: str) -> list[int]:
    starts, total = [0], 0
    for line in source.splitlines(keepends=True):
        total += len(line.encode("utf-8"))
        starts.append(total)
    return starts


def splice(source: str, edits: list[tuple[ast.AST, str]]) -> str:
    """``source`` with each node's text replaced (ast offsets are UTF-8 byte columns)."""
    data, starts = source.encode("utf-8"), _offsets(source)
    spans = sorted(((starts[n.lineno - 1] + n.col_offset, starts[n.end_lineno - 1] + n.end_col_offset, text)
                    for n, text in edits), reverse=True)
    for start, end, text in spans:
        data = data[:start] + text.encode("utf-8") + data[end:]
    return data.decode("utf-8")


def _segment(source: str, node: ast.AST) -> str:
    return (ast.get_source_segment(source, node) or ast.unparse(node)).splitlines()[0].strip()


# --------------------------------------------------------------------------------------------
# The operators: each yields (kind, [(node, new text)], before, after)


def _compare(node: ast.Compare, source: str):
    for index, op in enumerate(node.ops):
        swap = COMPARE_SWAPS.get(type(op))
        if swap is None:
            continue
        changed = copy.deepcopy(node)
        changed.ops[index] = swap()
        text = ast.unparse(changed)
        yield "compare", [(node, f"({text})")], _segment(source, node), text


def _branch(node: ast.If, source: str):
    for value in ("True", "False"):
        yield "branch", [(node.test, value)], f"if {_segment(source, node.test)}", f"if {value}"


def _statement(node: ast.Expr, source: str):
    if isinstance(node.value, ast.Call | ast.Await):
        yield "statement", [(node, "pass")], _segment(source, node), "pass"


def _return(node: ast.Return, source: str):
    value = node.value
    if not isinstance(value, ast.Constant) or value.value is None:
        return
    v = value.value
    if isinstance(v, bool):
        new = repr(not v)
    elif isinstance(v, int | float):
        new = repr(v + 1)
    elif isinstance(v, str):
        new = repr("" if v else "x")
    else:
        return
    yield "return", [(value, new)], f"return {_segment(source, value)}", f"return {new}"


def _number(node: ast.Constant, source: str):
    if isinstance(node.value, bool) or not isinstance(node.value, int):
        return
    for delta in (1, -1):
        new = node.value + delta
        yield "number", [(node, f"({new})")], repr(node.value), repr(new)


def _boolop(node: ast.BoolOp, source: str):
    changed = copy.deepcopy(node)
    changed.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    text = ast.unparse(changed)
    yield "boolop", [(node, f"({text})")], _segment(source, node), text


def _not(node: ast.UnaryOp, source: str):
    if isinstance(node.op, ast.Not):
        text = ast.unparse(node.operand)
        yield "not", [(node, f"({text})")], _segment(source, node), text


OPERATORS = {ast.Compare: _compare, ast.If: _branch, ast.Expr: _statement, ast.Return: _return,
             ast.Constant: _number, ast.BoolOp: _boolop, ast.UnaryOp: _not}


def _in_docstring_position(node: ast.AST, parents: dict) -> bool:
    return isinstance(node, ast.Constant) and isinstance(parents.get(node), ast.Expr)


def _parameter_mutants(function: ast.FunctionDef | ast.AsyncFunctionDef, region: Region, source: str):
    """For each parameter with a default that the region reads (and never assigns): every read
    replaced by the default's text, as if the learner had written the constant."""
    args = function.args
    positional = args.posonlyargs + args.args
    pairs = list(zip(positional[len(positional) - len(args.defaults):], args.defaults, strict=True))
    pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None]
    names = [n for n in ast.walk(function) if isinstance(n, ast.Name) and region.holds(n)]
    for arg, default in pairs:
        reads = [n for n in names if n.id == arg.arg and isinstance(n.ctx, ast.Load)]
        if not reads or any(n.id == arg.arg and not isinstance(n.ctx, ast.Load) for n in names):
            continue
        text = ast.get_source_segment(source, default) or ast.unparse(default)
        yield "parameter", [(n, f"({text})") for n in reads], f"parameter {arg.arg}", f"always {text}"


def _holder(tree: ast.Module, region: Region):
    """The function node holding ``region``."""
    best = None
    for node in ast.walk(tree):
        if (isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                and node.lineno < region.first and region.last <= node.end_lineno):
            if best is None or node.lineno > best.lineno:
                best = node
    return best


def mutants_of_region(region: Region, source: str) -> list[Mutant]:
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        operator = OPERATORS.get(type(node))
        if operator is None or not hasattr(node, "lineno") or not region.holds(node):
            continue
        if _in_docstring_position(node, parents) or isinstance(parents.get(node), ast.Return):
            continue  # a docstring; a returned constant (the return operator changes it)
        found += [(node.lineno, node.col_offset, m) for m in operator(node, source)]
    holder = _holder(tree, region)
    if holder is not None:
        found += [(region.first, -1, m) for m in _parameter_mutants(holder, region, source)]
    mutants = []
    for line, _, (kind, edits, before, after) in sorted(found, key=lambda f: (f[0], f[1])):
        text = splice(source, edits)
        if text == source:
            continue
        ast.parse(text)  # a splice must leave valid Python; a failure here is a bug in this module
        mutants.append(Mutant(region.module, region.function, region.exercise, line, kind,
                              before, after, text))
    return mutants


def generate(lab_id: str, kit_root: Path, modules: set[str] | None = None) -> list[Mutant]:
    """Every generated mutant of the lab (or of ``modules`` only), in file and line order."""
    mutants: list[Mutant] = []
    for region in solution_regions(lab_id, kit_root):
        if modules is None or region.module in modules:
            mutants += mutants_of_region(region, region.path.read_text(encoding="utf-8"))
    return mutants


def write_mutants(mutants: list[Mutant], folder: Path) -> list[Path]:
    """Each mutant as ``folder/<module>__g<NNN>_<kind>.py``; the paths, in the mutants' order."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number, mutant in enumerate(mutants):
        path = folder / f"{mutant.module}__g{number:03d}_{mutant.kind}.py"
        path.write_text(mutant.source, encoding="utf-8")
        paths.append(path)
    return paths
