"""Generate ``generated.py`` from ``muse.xml``: ``python -m muse.datamodel.generate [XML]``.

``--out FILE`` writes elsewhere (default: ``generated.py`` beside this module).

The output is plain, readable Python in ``ruff format`` style: one class statement per XML
class (explicit names, docstrings, a sorted ``__all__``, no ``type()`` at import), then the
process specifications (after the classes, since a spec may name a class declared later).
Regenerating from an unchanged XML leaves the file byte for byte the same.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

from common.errors import AweError
from muse.datamodel.xmlmodel import SYSTEM_BASES, AttributeDecl, ClassDecl, DataModel, load

__all__ = ["DEFAULT_OUTPUT", "DEFAULT_XML", "load", "main", "render"]

DEFAULT_XML = Path(__file__).with_name("muse.xml")
DEFAULT_OUTPUT = Path(__file__).with_name("generated.py")
LINE_LENGTH = 100
_TYPES = {"int": "int", "float": "float", "str": "str", "bool": "bool",
          "datetime": "dt.datetime", "date": "dt.date", "dict": "dict"}


def _string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _value(value: object) -> str:
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, bool | int | float) or value is None:
        return repr(value)
    return f"dt.{type(value).__name__}.fromisoformat({_string(value.isoformat())})"


def _call(indent: str, head: str, arguments: Sequence[str], tail: str = "") -> list[str]:
    """``head(args)tail`` as ruff formats it: one line, args on one line, or one per line."""
    flat = f"{indent}{head}({', '.join(arguments)}){tail}"
    if len(flat) <= LINE_LENGTH:
        return [flat]
    inner = indent + "    "
    joined = f"{inner}{', '.join(arguments)}"
    if len(joined) <= LINE_LENGTH:
        return [f"{indent}{head}(", joined, f"{indent}){tail}"]
    return [f"{indent}{head}(", *(f"{inner}{argument}," for argument in arguments),
            f"{indent}){tail}"]


def _isort_key(name: str) -> tuple[int, str]:
    """The order of isort by type: CONSTANTS, then Classes, then functions and variables."""
    if name.isupper():
        return (0, name)
    return (1 if name[:1].isupper() else 2, name.lower())


def _sequence(indent: str, head: str, items: list[str], tail: str = ",") -> list[str]:
    """``head(items…)tail``: a tuple of rendered items (each ending in ``,``), as ruff would."""
    if not items:
        return [f"{indent}{head}(){tail}"]
    if len(items) == 1 and len(f"{indent}{head}({items[0].strip()}){tail}") <= LINE_LENGTH:
        return [f"{indent}{head}({items[0].strip()}){tail}"]
    return [f"{indent}{head}(", *items, f"{indent}){tail}"]


def _docstring(indent: str, text: str) -> list[str]:
    one = f'{indent}"""{text}"""'
    if len(one) <= LINE_LENGTH:
        return [one]
    lines = textwrap.wrap(text, LINE_LENGTH - len(indent) - 3)
    return [f'{indent}"""{lines[0]}', *(f"{indent}{line}" for line in lines[1:]),
            f'{indent}"""']


class _Renderer:
    def __init__(self, model: DataModel) -> None:
        self.model = model
        self.classes = model.by_name()
        self.declared: set[str] = set()

    def chain(self, decl: ClassDecl) -> list[ClassDecl]:
        """``decl`` and its XML ancestors, base first."""
        found = [decl]
        while found[-1].base in self.classes:
            found.append(self.classes[found[-1].base])
        return found[::-1]

    def target(self, name: str) -> str:
        return name if name in self.declared or name in SYSTEM_BASES else _string(name)

    def attribute(self, decl: AttributeDecl) -> list[str]:
        if decl.kind == "link":
            arguments = [_string(decl.doc), self.target(decl.target)]
            if decl.is_list:
                arguments.append("[]")
        else:
            arguments = [_string(decl.doc), _TYPES[decl.kind]]
            if decl.default is not None:
                arguments.append(_value(decl.default))
            if decl.fits:
                arguments.append(f"fits={_string(decl.fits)}")
            if decl.length:
                arguments.append(f"length={decl.length}")
            if decl.index:
                arguments.append("index=True")
            if decl.unique:
                arguments.append("unique=True")
        if decl.renamed_from:
            arguments.append(f"renamed_from={_string(decl.renamed_from)}")
        return _call("    ", f"{decl.name} = persistent", arguments)

    def mapping(self, name: str, items: Sequence[tuple[str, object]]) -> list[str]:
        entries = [f"{_string(key)}: {_value(value)}" for key, value in items]
        lines = _call("    ", f"{name} = MappingProxyType", ["{" + ", ".join(entries) + "}"])
        if len(lines) == 1 or len(f"        {{{', '.join(entries)}}}") <= LINE_LENGTH:
            return lines
        return ["    " + f"{name} = MappingProxyType(", "        {",
                *(f"            {entry}," for entry in entries), "        }", "    )"]

    def class_variables(self, decl: ClassDecl) -> list[str]:
        lines: list[str] = []
        chain = self.chain(decl)
        if decl.chips:
            lines.append(f"    chip_class = {decl.chips}")
        if decl.do_catg:
            lines.append(f"    do_category = {_string(decl.do_catg)}")
        if decl.pro_catg:
            lines.append(f"    product_category = {_string(decl.pro_catg)}")
        if decl.static:
            lines.append("    is_static = True")
        if decl.recipe:
            lines.append(f"    recipe = {_string(decl.recipe)}")
        if decl.parameters:
            lines.extend(self.mapping("eso_names", [(p.attribute.name, p.eso)
                                                    for p in decl.parameters]))
        qc = [item for klass in chain for item in klass.qc]
        flags = [flag for klass in chain for flag in klass.flags]
        if decl.flags:
            lines.extend(self.mapping("quality_bits", [(name, bit) for name, bit, _ in flags]))
        if decl.qc:
            lines.extend(self.mapping("qc_keys", [(item.key, item.attribute.name)
                                                  for item in qc]))
            bits = {name: bit for name, bit, _ in flags}
            thresholds = []
            for item in qc:
                for low, high, flag in item.thresholds:
                    arguments = [_string(item.key), _string(item.attribute.name),
                                 _string(flag), str(bits[flag])]
                    if low is not None:
                        arguments.append(f"minimum={low!r}")
                    if high is not None:
                        arguments.append(f"maximum={high!r}")
                    thresholds.extend(_call("        ", "QcThreshold", arguments, ","))
            if thresholds:
                lines.extend(_sequence("    ", "qc_thresholds = ", thresholds, ""))
        return lines

    def render_class(self, decl: ClassDecl) -> list[str]:
        bases = [decl.behaviour] if decl.behaviour else []
        bases.append(decl.base)
        if decl.abstract:
            bases.append("abstract=True")
        lines = [*_call("", f"class {decl.name}", bases, ":"), *_docstring("    ", decl.doc)]
        variables = self.class_variables(decl)
        if variables:
            lines.extend(["", *variables])
        attributes = [*decl.attributes, *(p.attribute for p in decl.parameters),
                      *(q.attribute for q in decl.qc)]
        if attributes:
            lines.append("")
            for attribute in attributes:
                lines.extend(self.attribute(attribute))
        self.declared.add(decl.name)
        return lines

    def render_process(self, decl: ClassDecl) -> list[str]:
        process = decl.process
        inputs = []
        for item in process.inputs:
            arguments = [_string(item.name), item.cls, f"select={_string(item.select)}",
                         f"min={item.min}"]
            if item.max is not None:
                arguments.append(f"max={item.max}")
            inputs.extend(_call("        ", "Input", arguments, ","))
        calibrations = []
        for item in process.calibrations:
            arguments = [_string(item.name), item.cls, f"select={_string(item.select)}"]
            if item.match:
                arguments.append(f"match=({''.join(_string(m) + ', ' for m in item.match)})"
                                 .replace(", )", ",)" if len(item.match) == 1 else ")"))
            if item.optional:
                arguments.append("optional=True")
            calibrations.extend(_call("        ", "Calib", arguments, ","))
        head = " = ".join(f"{product}.__process__" for product in process.products)
        keys = ", ".join(_string(key) for key in process.keys)
        products = ", ".join(process.products)
        return [
            f"{head} = ProcessSpec(",
            f"    keys=({keys}{',' if len(process.keys) == 1 else ''}),",
            f"    recipe={_string(process.recipe)},",
            f"    parameters={process.parameters},",
            *_sequence("    ", "inputs=", inputs),
            *_sequence("    ", "calibrations=", calibrations),
            f"    make={_string(process.make)},",
            f"    products=({products}{',' if len(process.products) == 1 else ''}),",
            f"    validity_nights={process.validity_nights},",
            ")",
        ]

    def render(self) -> str:
        classes = self.model.classes
        body: list[str] = []
        for decl in classes:
            body.extend(["", "", *self.render_class(decl)])
        processes = [decl for decl in classes if decl.process is not None]
        if processes:
            body.extend(["", "", "# Process specifications (a spec may name a class declared "
                         "after its product)."])
            for decl in processes:
                body.extend(["", *self.render_process(decl)])
        text = "\n".join(body)
        standard = [line for line, used in (("import datetime as dt", "dt." in text),
                                            ("from types import MappingProxyType",
                                             "MappingProxyType(" in text)) if used]
        system = sorted({d.base for d in classes if d.base in SYSTEM_BASES} | {"persistent"},
                        key=_isort_key)
        spec = [name for name in ("Calib", "Input", "ProcessSpec") if f"{name}(" in text]
        behaviours = sorted({d.behaviour for d in classes if d.behaviour}
                            | ({"QcThreshold"} if "QcThreshold(" in text else set()))
        names = sorted(["DATAMODEL_VERSION", *(d.name for d in classes)], key=_isort_key)
        lines = [
            f'"""MUSE classes generated from muse.xml (data model {self.model.version}).',
            "",
            "Do not edit: change muse/datamodel/muse.xml and run",
            "``python -m muse.datamodel.generate``. The behaviour lives in",
            ":mod:`muse.datamodel.bases`; the process specifications follow the classes.",
            '"""',
            "",
            "from __future__ import annotations",
            "",
            *([*standard, ""] if standard else []),
            *self.import_lines("common.persistent", system),
        ]
        if spec:
            lines.extend(self.import_lines("common.process.spec", spec))
        if behaviours:
            lines.extend(self.import_lines("muse.datamodel.bases", behaviours))
        lines.extend(["", "__all__ = [", *(f"    {_string(name)}," for name in names), "]", "",
                      f"DATAMODEL_VERSION = {_string(self.model.version)}",
                      '"""The version of muse.xml these classes were generated from."""',
                      *body])
        return "\n".join(lines) + "\n"

    @staticmethod
    def import_lines(module: str, names: Sequence[str]) -> list[str]:
        flat = f"from {module} import {', '.join(names)}"
        if len(flat) <= LINE_LENGTH:
            return [flat]
        return [f"from {module} import (", *(f"    {name}," for name in names), ")"]


def render(model: DataModel) -> str:
    """The source of ``generated.py`` for ``model``."""
    return _Renderer(model).render()


def main(argv: Sequence[str] | None = None) -> int:
    """Validate the XML and write the generated module; print the error and return 1 if bad."""
    parser = argparse.ArgumentParser(prog="python -m muse.datamodel.generate",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("xml", nargs="?", type=Path, default=DEFAULT_XML,
                        help="the data-model file (default: muse/datamodel/muse.xml)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUTPUT,
                        help="where to write (default: muse/datamodel/generated.py)")
    options = parser.parse_args(argv)
    try:
        source = render(load(options.xml))
    except AweError as exc:
        print(f"generate: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    previous = options.out.read_text(encoding="utf-8") if options.out.exists() else None
    if previous != source:
        options.out.write_text(source, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
