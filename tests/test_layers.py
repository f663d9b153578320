"""The architecture stays as docs/architecture.md draws it: which package may import which, and where names live."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

from booking.notice_types import MESSAGES, TYPES
from tests.conftest import ROOT

PACKAGES = ("booking", "db", "handlers", "jobqueue", "outbox", "providers", "worker")
MODULES = ("config", "logs", "server")

# Who may import whom, top-level package by package. Reads top-down:
# handlers -> booking -> jobqueue -> db, and the worker beside them reading booking and jobqueue.
ALLOWED = {
    "config": set(),
    "logs": set(),
    "db": set(),
    "providers": set(),
    "jobqueue": {"db"},
    "booking": {"db", "jobqueue", "outbox", "providers"},
    "outbox": {"db"},
    "worker": {"booking", "db", "jobqueue", "outbox", "providers"},
    "handlers": {"booking", "db", "outbox", "providers"},
    "server": {"booking", "config", "db", "handlers", "jobqueue", "logs", "outbox", "providers", "worker"},
}


def product_files() -> dict[str, list[Path]]:
    """Python files of each top-level package or module, by its name."""
    files = {name: sorted((ROOT / name).rglob("*.py")) for name in PACKAGES}
    return files | {name: [ROOT / f"{name}.py"] for name in MODULES}


def imported_tops(path: Path) -> set[str]:
    """The top-level product names a file imports (inside functions too)."""
    tops = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        tops |= {name.split(".")[0] for name in names} & set(PACKAGES + MODULES)
    return tops


def test_packages_import_only_downwards() -> None:
    graph = {name: set().union(*map(imported_tops, files)) - {name} for name, files in product_files().items()}
    wrong = {name: sorted(uses - ALLOWED[name]) for name, uses in graph.items() if uses - ALLOWED[name]}
    assert not wrong, f"imports across the layers that docs/architecture.md does not allow: {wrong}"
    # ALLOWED itself must be free of cycles, or the rule above would permit one.
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, f"import cycle: {' -> '.join((*path, name))}"
        if name not in done:
            for used in graph[name]:
                visit(used, (*path, name))
            done.add(name)

    for name in graph:
        visit(name, ())


def test_the_domain_and_the_queue_load_no_mail_or_template_machinery() -> None:
    """Importing the dataclasses or the queue's tables must not drag in SMTP, templates or iCalendar."""
    heavy = ("aiosmtplib", "aiosmtpd", "jinja2", "icalendar", "tornado.web")
    probe = (
        "import sys, booking.models, booking.appointments, booking.jobs, jobqueue.claims, worker.outcome;"
        f"print(','.join(name for name in {heavy!r} if name in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "", f"loaded on import: {loaded.stdout.strip()}"


def strings_in(path: Path) -> set[str]:
    """The string literals of a Python file; the quoted words of a template or script."""
    text = path.read_text(errors="replace")
    if path.suffix == ".py":
        return {node.value for node in ast.walk(ast.parse(text)) if isinstance(node, ast.Constant)} - {None}
    return set(re.findall(r"[\"']([^\"'\n]*)[\"']", text))


def test_a_notification_type_is_named_only_in_its_table_the_schema_and_template_file_names() -> None:
    allowed = {ROOT / "booking" / "notice_types.py"}
    sources = [path for files in product_files().values() for path in files]
    sources += [path for path in (ROOT / "templates").rglob("*") if path.is_file()]
    sources += sorted((ROOT / "static").rglob("*.*"))
    named = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in sources
        if path not in allowed
        for name in TYPES
        if name in strings_in(path)
    }
    assert not named, f"a notification type named outside booking/notice_types.py: {sorted(named)}"
    for name in TYPES:
        assert f"'{name}'" in (ROOT / "schema.sql").read_text(), f"the schema's list of types lacks {name}"
    for name in MESSAGES:  # a payment job moves money: no message, no templates
        for template in (f"email/{name}.txt", f"email/{name}.html", f"sms/{name}.txt"):
            assert (ROOT / "templates" / template).is_file(), f"{name} has no template {template}"


def _product_names() -> dict[str, list[object]]:
    """Every module of the product by its last name (``appointments``), and every class by its name."""
    import importlib
    import inspect

    found: dict[str, list[object]] = {}
    for name, files in product_files().items():
        for path in files:
            parts = path.relative_to(ROOT).with_suffix("").parts
            dotted = ".".join(part for part in parts if part != "__init__") or name
            module = importlib.import_module(dotted)
            found.setdefault(parts[-1] if parts[-1] != "__init__" else parts[-2], []).append(module)
            for attr, value in vars(module).items():
                if inspect.isclass(value) and value.__module__ == module.__name__:
                    found.setdefault(attr, []).append(value)
    return found


def _resolves(dotted: str, names: dict[str, list[object]]) -> bool:
    """``booking.appointments.book``, ``appointments.book`` or ``Database.fetch_prepared``: each part exists."""
    head, *rest = dotted.split(".")
    candidates = names.get(head, [])
    if head in PACKAGES and rest:  # a full path: start from the package's own module
        candidates = [m for m in names.get(rest[0], []) if getattr(m, "__name__", "").startswith(f"{head}.")]
        rest = rest[1:]
    for candidate in candidates:
        value = candidate
        try:
            for part in rest:
                value = getattr(value, part)
        except AttributeError:
            continue
        return True
    return False


def test_every_module_and_name_the_architecture_document_gives_exists() -> None:
    """docs/architecture.md names files (`worker/runner.py`, `runner.py`) and code (`jobqueue.claims.claim_due`,
    `Database.fetch_prepared`): each must still be there, or the document has drifted from the code."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    quoted = set(re.findall(r"`([^`\s]+)`", text))
    files = {name for name in quoted if re.fullmatch(r"[\w/]+\.py", name)}
    everywhere = {path.relative_to(ROOT).as_posix() for paths in product_files().values() for path in paths}
    everywhere |= {path.relative_to(ROOT).as_posix() for path in ROOT.glob("*/*.py")}
    missing_files = sorted(
        name for name in files if not any(path == name or path.endswith(f"/{name}") for path in everywhere)
    )
    names = _product_names()
    code = {
        re.sub(r"\(.*", "", name)
        for name in quoted
        if re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+(\(.*)?", name)
        and name.split(".")[0] in names
        and not re.search(r"\.(py|html|js|sql|txt|css|md|json|zip)$", name)  # a file, not code
    }
    missing_code = sorted(name for name in code if not _resolves(name, names))
    assert not missing_files + missing_code, f"named in docs/architecture.md, gone: {missing_files + missing_code}"
