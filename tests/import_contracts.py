"""import-linter contract types of our own, used by .importlinter (which `lint-imports` in scripts/test checks)."""

from __future__ import annotations

import sys
from typing import cast

from grimp import ImportGraph
from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck
from importlinter.domain.imports import Module


class OnlyContract(Contract):
    """The source modules import nothing but each other, the standard library and the allowed packages."""

    type_name = "only"

    source_modules = fields.ListField(subfield=fields.ModuleField())
    allowed_packages = fields.ListField(subfield=fields.StringField())

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        """Every direct import, with its line, of something a source module may not import."""
        sources: set[str] = set()
        for module in cast(list[Module], self.source_modules):
            sources |= {module.name, *graph.find_descendants(module.name)}
        allowed = set(cast(list[str], self.allowed_packages)) | sys.stdlib_module_names
        broken = [
            {"importer": importer, "imported": imported, **detail}
            for importer in sorted(sources)
            for imported in sorted(graph.find_modules_directly_imported_by(importer))
            if imported not in sources and imported.split(".")[0] not in allowed
            for detail in graph.get_import_details(importer=importer, imported=imported)
        ]
        return ContractCheck(kept=not broken, metadata={"broken": broken})

    def render_broken_contract(self, check: ContractCheck) -> None:
        """One line per forbidden import: where it is and what it imports."""
        allowed = ", ".join(cast(list[str], self.allowed_packages))
        output.print(f"Allowed besides each other: the standard library and {allowed}.")
        output.new_line()
        for item in check.metadata["broken"]:
            output.print_error(
                f"{item['importer']}:{item['line_number']} imports {item['imported']}: {item['line_contents']}",
                bold=False,
            )
        output.new_line()
