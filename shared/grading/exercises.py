"""A lab's exercises: the numbered steps of its guide and the functions each one covers.

Each lab lists its exercises, in the guide's order, in ``labs/<stack>/<task>/exercises.toml``::

    [[exercise]]
    title = "Token budget"
    functions = ["budget:prompt_budget"]      # module:qualified name; each holds a solution region

Two things are built on that list:

* :func:`unfinished` finds the exercise whose starter code raised ``NotImplementedError``, so
  ``labkit run`` can stop with the exercise's number, title, file, function and hint instead of a
  traceback.
* :class:`ReferencePatch` lets exercise N be graded on its own: while one of N's tests runs on a
  learner's copy, every *other* exercise's function runs the reference solution's code (compiled
  from the kit's file, executed in the learner's module, so it sees the learner's constants and
  helpers). A kit without solution regions (a student release) has no reference; tests then use
  the learner's own code for the other steps, and the guide's order keeps that workable.

Standard library only: ``labkit run`` imports this module.
"""

from __future__ import annotations

import functools
import importlib
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from types import CodeType, FunctionType

from shared.grading.labroot import KIT_ROOT

CATALOGUE = "exercises.toml"
# Tells a subprocess started by a graded test which exercise is under test: "lab:N:kit_root".
REFERENCE_ENV = "LABKIT_REFERENCE_EXCEPT"
BEGIN_MARKER = re.compile(r"^[ \t]*#\s*BEGIN SOLUTION\b", re.M)
LAB_FILE = re.compile(r"labs/(?P<stack>[^/]+)/(?P<task>[^/]+)/(?P<module>\w+)\.py$")


class ExerciseError(ValueError):
    """A lab's exercise list is malformed, or an exercise cannot be found; the message says where."""


@dataclass(frozen=True)
class Exercise:
    lab: str
    number: int
    title: str
    functions: tuple[str, ...]  # "module:qualname"

    @property
    def label(self) -> str:
        return f"Exercise {self.number}: {self.title}"

    @property
    def modules(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(spec.split(":")[0] for spec in self.functions))

    def where(self) -> str:
        """e.g. "budget.py: prompt_budget, truncate_ticket"."""
        parts = []
        for module in self.modules:
            names = [s.split(":")[1] for s in self.functions if s.split(":")[0] == module]
            parts.append(f"{module}.py: {', '.join(names)}")
        return "; ".join(parts)


# --------------------------------------------------------------------------------------------
# The catalogue


def catalogue_path(lab_id: str, kit_root: Path = KIT_ROOT) -> Path:
    return Path(kit_root) / "labs" / lab_id.strip("/") / CATALOGUE


@functools.cache
def load_exercises(lab_id: str, kit_root: Path = KIT_ROOT) -> tuple[Exercise, ...]:
    """The lab's exercises in guide order; () when the lab has no exercises.toml."""
    lab_id = lab_id.strip("/")
    path = catalogue_path(lab_id, kit_root)
    if not path.is_file():
        return ()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ExerciseError(f"{path}: cannot read the exercise list: {exc}") from None
    entries = data.get("exercise")
    if not isinstance(entries, list) or not entries:
        raise ExerciseError(f"{path}: expected one or more [[exercise]] tables.")
    return tuple(_exercise(lab_id, number, entry, path) for number, entry in enumerate(entries, start=1))


def _exercise(lab_id: str, number: int, entry: dict, path: Path) -> Exercise:
    title, functions = entry.get("title"), entry.get("functions")
    if not isinstance(title, str) or not title.strip():
        raise ExerciseError(f"{path}: exercise {number} needs a title.")
    if (not isinstance(functions, list) or not functions
            or not all(isinstance(f, str) and re.fullmatch(r"\w+:[\w.]+", f) for f in functions)):
        raise ExerciseError(f"{path}: exercise {number} needs functions = [\"module:function\", ...].")
    return Exercise(lab_id, number, title.strip(), tuple(functions))


def exercise_numbered(lab_id: str, number: int, kit_root: Path = KIT_ROOT) -> Exercise:
    exercises = load_exercises(lab_id, kit_root)
    for exercise in exercises:
        if exercise.number == number:
            return exercise
    known = ", ".join(f"{e.number} ({e.title})" for e in exercises) or "none"
    raise ExerciseError(f"{lab_id} has no exercise {number}; its exercises: {known}.")


def exercise_of(lab_id: str, module: str, qualname: str, kit_root: Path = KIT_ROOT) -> Exercise | None:
    spec = f"{module}:{qualname}"
    return next((e for e in load_exercises(lab_id, kit_root) if spec in e.functions), None)


def has_reference(lab_id: str, kit_root: Path = KIT_ROOT) -> bool:
    """Whether the kit holds the lab's reference solution (a student release does not)."""
    folder = Path(kit_root) / "labs" / lab_id.strip("/")
    return any(BEGIN_MARKER.search(p.read_text(encoding="utf-8")) for p in folder.glob("*.py"))


def region_owners(source: str) -> dict[int, str]:
    """The line of each BEGIN SOLUTION marker -> qualified name of the function holding it."""
    import ast

    spans: list[tuple[int, int, str]] = []

    def visit(node, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                name = prefix + child.name
                if not isinstance(child, ast.ClassDef):
                    spans.append((child.lineno, child.end_lineno, name))
                visit(child, name + ("." if isinstance(child, ast.ClassDef) else ".<locals>."))

    visit(ast.parse(source), "")
    owners = {}
    for number, line in enumerate(source.splitlines(), start=1):
        if BEGIN_MARKER.match(line):
            holding = [s for s in spans if s[0] <= number <= s[1]]
            owners[number] = max(holding)[2] if holding else "<module>"
    return owners


def copy_with_exercises_done(lab_id: str, done: set[int], dst: Path, kit_root: Path = KIT_ROOT) -> Path:
    """A student copy of the lab in ``dst/labs/<lab>`` with exercises ``done`` solved."""
    from shared.grading.regions import iter_files, strip_solutions
    from shared.grading.workspace import start_lab

    folder, _ = start_lab(lab_id, dst, kit_root)
    src = Path(kit_root) / "labs" / lab_id
    wanted = {spec for e in load_exercises(lab_id, kit_root) if e.number in done for spec in e.functions}
    for path in iter_files(src):
        if path.suffix != ".py":
            continue
        text = path.read_text(encoding="utf-8")
        owners = region_owners(text)
        keep = lambda line, m=path.stem, o=owners: f"{m}:{o[line]}" in wanted  # noqa: E731
        (folder / path.relative_to(src)).write_text(strip_solutions(text, str(path), keep), encoding="utf-8")
    return folder


# --------------------------------------------------------------------------------------------
# An unfinished exercise reached at run time


@dataclass(frozen=True)
class Unfinished:
    exercise: Exercise
    where: str  # labs/<lab>/<module>.py:<function>
    hint: str

    def message(self) -> str:
        lab = self.exercise.lab
        return "\n".join([
            f"{self.exercise.label} of {lab} is not done yet.",
            f"  {self.where} still raises NotImplementedError (the starter code).",
            f"  hint: {self.hint}",
            f"  Write it, then check it: labkit grade {lab} --exercise {self.exercise.number}",
        ])


def _chain(exc: BaseException | None):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def unfinished(exc: BaseException, kit_root: Path = KIT_ROOT) -> Unfinished | None:
    """The exercise whose starter ``raise NotImplementedError`` is behind ``exc``, if any."""
    for error in _chain(exc):
        if not isinstance(error, NotImplementedError) or error.__traceback__ is None:
            continue
        tb = error.__traceback__
        while tb.tb_next is not None:
            tb = tb.tb_next
        code = tb.tb_frame.f_code
        found = LAB_FILE.search(Path(code.co_filename).as_posix())
        if not found:
            continue
        lab = f"{found['stack']}/{found['task']}"
        try:
            exercise = exercise_of(lab, found["module"], code.co_qualname, kit_root)
        except ExerciseError:
            exercise = None
        if exercise is not None:
            where = f"labs/{lab}/{found['module']}.py:{code.co_qualname}"
            return Unfinished(exercise, where, str(error) or "see the lab guide")
    return None


def unstarted(lab_id: str, number: int, lab_root: Path, kit_root: Path = KIT_ROOT) -> Unfinished | None:
    """When every function of exercise NUMBER in ``lab_root``'s copy is still the starter code
    (the same code as ``labkit start`` wrote, comments aside), what names the first of them.

    Every graded test of such an exercise fails (CI grades the untouched starter copy and checks
    that each test fails on its own exercise), so a grader can say so without running it."""
    import ast

    exercise = exercise_numbered(lab_id, number, kit_root)
    starters = {}
    for module in exercise.modules:
        mine_file = Path(lab_root) / "labs" / lab_id / f"{module}.py"
        kit_file = Path(kit_root) / "labs" / lab_id / f"{module}.py"
        if not mine_file.is_file() or not kit_file.is_file():
            return None
        try:
            mine = _functions(ast.parse(mine_file.read_text(encoding="utf-8")))
        except SyntaxError:
            return None
        starters[module] = _functions(_starter_tree(str(kit_file)))
        for qualname in (q for m, q in (spec.split(":") for spec in exercise.functions) if m == module):
            if qualname not in mine or ast.dump(mine[qualname]) != ast.dump(starters[module].get(qualname)):
                return None
    module, qualname = exercise.functions[0].split(":")
    return Unfinished(exercise, f"labs/{lab_id}/{module}.py:{qualname}",
                      _raised_hint(starters[module].get(qualname)) or "see the lab guide")


@functools.cache
def _starter_tree(kit_module: str):
    """The syntax tree of a kit module as ``labkit start`` writes it (solution regions replaced)."""
    import ast

    from shared.grading.regions import strip_solutions

    return ast.parse(strip_solutions(Path(kit_module).read_text(encoding="utf-8"), kit_module))


def _functions(tree) -> dict:
    """Qualified name -> function node, for every function (methods and nested ones too)."""
    import ast

    found = {}

    def visit(node, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                if not isinstance(child, ast.ClassDef):
                    found[prefix + child.name] = child
                visit(child, prefix + child.name + ".")

    visit(tree, "")
    return found


def _raised_hint(function) -> str | None:
    """The text of the starter's ``raise NotImplementedError("hint")`` in ``function``."""
    import ast

    for node in ast.walk(function) if function is not None else ():
        if (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args
                and getattr(node.exc.func, "id", "") == "NotImplementedError"
                and isinstance(node.exc.args[0], ast.Constant)):
            return str(node.exc.args[0].value)
    return None


# --------------------------------------------------------------------------------------------
# Grading one exercise with the reference for the others


@functools.cache
def _module_code(path: str) -> CodeType:
    return compile(Path(path).read_text(encoding="utf-8"), path, "exec")


def _find_code(code: CodeType, qualname: str) -> CodeType | None:
    for const in code.co_consts:
        if isinstance(const, CodeType):
            if const.co_qualname == qualname:
                return const
            found = _find_code(const, qualname)
            if found is not None:
                return found
    return None


def _function(module, qualname: str) -> FunctionType:
    owner, *rest = qualname.rsplit(".", 1)
    obj = module
    if rest:
        for part in owner.split("."):
            obj = getattr(obj, part)
        name = rest[0]
    else:
        name = owner
    value = vars(obj)[name] if isinstance(obj, type) else getattr(obj, name)
    value = getattr(value, "__func__", value)  # staticmethod / classmethod
    if not isinstance(value, FunctionType):
        raise ExerciseError(f"{module.__name__}.{qualname} is not a plain function")
    return value


class ReferencePatch:
    """While applied, every exercise of ``lab_id`` except ``keep`` runs the reference's code."""

    def __init__(self, lab_id: str, keep: int, kit_root: Path = KIT_ROOT):
        self.lab, self.keep, self.kit_root = lab_id.strip("/"), keep, Path(kit_root)
        self.swapped: list[tuple[FunctionType, CodeType]] = []

    @property
    def learner_modules(self) -> set[str]:
        """Modules whose exercise functions stay the learner's (those of the kept exercise)."""
        return set(exercise_numbered(self.lab, self.keep, self.kit_root).modules)

    def apply(self) -> ReferencePatch:
        package = "labs." + self.lab.replace("/", ".")
        for exercise in load_exercises(self.lab, self.kit_root):
            if exercise.number == self.keep:
                continue
            for spec in exercise.functions:
                module_name, qualname = spec.split(":")
                try:
                    module = importlib.import_module(f"{package}.{module_name}")
                except Exception:  # noqa: BLE001 - the test that imports it reports the error
                    continue
                self._swap(_function(module, qualname), module_name, qualname)
        os.environ[REFERENCE_ENV] = f"{self.lab}:{self.keep}:{self.kit_root}"
        return self

    def _swap(self, function: FunctionType, module_name: str, qualname: str) -> None:
        path = self.kit_root / "labs" / self.lab / f"{module_name}.py"
        code = _find_code(_module_code(str(path)), qualname)
        if code is None:
            raise ExerciseError(f"the reference {path} has no function {qualname}")
        if code.co_freevars != function.__code__.co_freevars:
            raise ExerciseError(f"{module_name}.{qualname} was restructured (its closure differs "
                                "from the reference's); keep the starter's function shape")
        self.swapped.append((function, function.__code__))
        function.__code__ = code

    def undo(self) -> None:
        for function, code in reversed(self.swapped):
            function.__code__ = code
        self.swapped.clear()
        os.environ.pop(REFERENCE_ENV, None)


def _function_spans(source: str) -> dict[str, tuple[int, int]]:
    """Qualified name -> (first line incl. decorators, last line) of every function in a file."""
    import ast

    return {name: (min([d.lineno for d in node.decorator_list] + [node.lineno]), node.end_lineno)
            for name, node in _functions(ast.parse(source)).items()}


def effective_source(module_file: str | Path, lab_id: str, module: str,
                     patch: ReferencePatch | None) -> str:
    """The text of a lab module as it runs now: the file, with the functions a reference patch
    swapped in taken from the reference. Used to key caches of what that code computes."""
    text = Path(module_file).read_text(encoding="utf-8")
    if patch is None:
        return text
    reference = (patch.kit_root / "labs" / lab_id / f"{module}.py").read_text(encoding="utf-8")
    swapped = [spec.split(":")[1] for e in load_exercises(lab_id, patch.kit_root) if e.number != patch.keep
               for spec in e.functions if spec.split(":")[0] == module]
    mine, theirs = _function_spans(text), _function_spans(reference)
    lines, ref_lines = text.splitlines(keepends=True), reference.splitlines(keepends=True)
    for name in sorted(swapped, key=lambda n: mine.get(n, (0, 0))[0], reverse=True):
        if name in mine and name in theirs:
            (a, b), (c, d) = mine[name], theirs[name]
            lines[a - 1:b] = ref_lines[c - 1:d]
    return "".join(lines)


_ACTIVE: list[ReferencePatch] = []


def use_reference_except(lab_id: str, keep: int, kit_root: Path = KIT_ROOT) -> ReferencePatch:
    patch = ReferencePatch(lab_id, keep, kit_root).apply()
    _ACTIVE.append(patch)
    return patch


def stop_reference(patch: ReferencePatch) -> None:
    patch.undo()
    if patch in _ACTIVE:
        _ACTIVE.remove(patch)


def active_patch() -> ReferencePatch | None:
    return _ACTIVE[-1] if _ACTIVE else None


def apply_reference_from_env() -> ReferencePatch | None:
    """In a subprocess started by a graded test: the same reference patch as its parent."""
    value = os.environ.get(REFERENCE_ENV)
    if not value:
        return None
    lab, keep, kit = value.split(":", 2)
    return use_reference_except(lab, int(keep), Path(kit))
