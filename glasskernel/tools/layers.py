"""Check the import layers: `python3 -m glasskernel.tools.layers`.

The layers are import-linter's contract in pyproject.toml ([tool.importlinter]), which CI
also runs as `lint-imports`. This reads the same contract and prints, with its file and
line, every import of a module in a higher layer than the importer's, counting the
imports inside functions, and every module that no layer names (it would go unchecked).
Exit status 1 if there is any.
"""
import ast
import sys
import tomllib
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]
PYPROJECT = PACKAGE_DIR.parent / "pyproject.toml"


def read_layers(pyproject: Path = PYPROJECT) -> list:
    """The contract's layers, top first, each a list of module names."""
    config = tomllib.loads(pyproject.read_text())["tool"]["importlinter"]
    contract = next(c for c in config["contracts"] if c["type"] == "layers")
    return [[name.strip() for name in layer.replace("|", ":").split(":") if name.strip()]
            for layer in contract["layers"]]


def module_files(root: Path = PACKAGE_DIR) -> dict:
    """Every module of the package: dotted name -> file."""
    modules = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def layer_of(module: str, layers: list):
    """The index of the layer holding module (0 is the top), or None."""
    for index, layer in enumerate(layers):
        if any(module == name or module.startswith(name + ".") for name in layer):
            return index
    return None


def imports_of(module: str, path: Path, modules: dict):
    """(line, imported module) for each import in the file, at any depth."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:                      # relative: from the importer's package
                package = module.split(".")[:len(module.split(".")) - node.level + is_package]
                base = ".".join(package + ([base] if base else []))
            for alias in node.names:            # `from pkg import submodule` names a module
                full = f"{base}.{alias.name}"
                yield node.lineno, full if full in modules else base


def check(layers: list, modules: dict) -> list:
    """The problems found: one line each."""
    problems = []
    for module, path in modules.items():
        if any(name.startswith(module + ".") for layer in layers for name in layer):
            continue                            # a package the layers split (arch, arch.x86)
        mine = layer_of(module, layers)
        if mine is None:
            problems.append(f"{path}: {module} is in no layer")
            continue
        for line, target in imports_of(module, path, modules):
            if not target.startswith("glasskernel."):
                continue
            theirs = layer_of(target, layers)
            if theirs is not None and theirs < mine:
                problems.append(f"{path}:{line}: {module} imports {target}, a higher layer")
    return problems


def main() -> int:
    layers = read_layers()
    problems = check(layers, module_files())
    for problem in problems:
        print(problem)
    if not problems:
        print(f"layers kept: {len(layers)} layers, no upward import")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
