"""The domains keep their layers: a lower layer never imports a higher one (see DESIGN.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "cop"

#: What each package may not import. accounts sits beside agencies: agencies builds on accounts, and
#: accounts learns of agencies only through their models (a person's agency), never their rules or pages.
FORBIDDEN = {
    "text": ("cop.accounts", "cop.agencies", "cop.mail"),
    "mail": ("cop.accounts", "cop.agencies"),
    "accounts": ("cop.agencies.services", "cop.agencies.routes", "cop.agencies.forms"),
    # The API's shared pieces sit below the content domains, which extend it.
    "api": ("cop.casestudies", "cop.events", "cop.forum", "cop.matching", "cop.federation"),
    "notifications": ("cop.casestudies", "cop.api"),
}


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, by its full name."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_lower_layers_do_not_import_higher_ones(package):
    offences = [
        f"{path.relative_to(PACKAGE.parent)} imports {name}"
        for path in sorted((PACKAGE / package).rglob("*.py"))
        for name in sorted(imports_of(path))
        if name.startswith(FORBIDDEN[package])
    ]
    assert not offences, "\n".join(offences)
