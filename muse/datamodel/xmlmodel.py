"""Read ``muse.xml``: validate it against ``muse.xsd`` and turn it into plain declarations.

:func:`load` returns a :class:`DataModel`. A broken file raises :class:`ConfigError` as
``FILE:LINE: expected …`` (the schema's complaint, or one of the checks the schema cannot
express: known bases and behaviours, defaults of the declared type, unique attribute names
along the inheritance chain, one process per product, classes declared before use).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from common.errors import ConfigError

__all__ = [
    "SYSTEM_BASES",
    "AttributeDecl",
    "CalibDecl",
    "ClassDecl",
    "DataModel",
    "InputDecl",
    "ParameterDecl",
    "ProcessDecl",
    "QcDecl",
    "load",
    "qc_attribute",
]

SCHEMA_PATH = Path(__file__).with_name("muse.xsd")
SYSTEM_BASES = ("DBObject", "DataObject", "ParameterSet")
"""Bases and link targets from ``common.persistent`` a class may name."""
BEHAVIOURS = ("CalibrationBehaviour", "ProductBehaviour", "RawChipBehaviour",
              "RawFrameBehaviour", "RecipeParameters")
"""The mixins of :mod:`muse.datamodel.bases` a class may name as its behaviour."""
_KINDS_OF_DEFAULT = {"int": int, "float": float}


def qc_attribute(key: str) -> str:
    """The attribute of QC key ``key``: ``BIAS MASTER1 RON`` → ``QC_BIAS_MASTER1_RON``."""
    return "QC_" + key.replace(" ", "_").replace("-", "_")


@dataclass(frozen=True)
class AttributeDecl:
    """A scalar attribute, a link (``target``) or a list of links (``is_list``)."""

    name: str
    kind: str
    doc: str
    line: int
    default: object = None
    fits: str | None = None
    length: int | None = None
    index: bool = False
    unique: bool = False
    renamed_from: str | None = None
    target: str | None = None
    is_list: bool = False


@dataclass(frozen=True)
class ParameterDecl:
    """A recipe parameter: ESO name, attribute name, type and default."""

    eso: str
    attribute: AttributeDecl


@dataclass(frozen=True)
class QcDecl:
    """One QC value (expanded from ``{i}``) with its thresholds ``(min, max, flag)``."""

    key: str
    attribute: AttributeDecl
    unit: str | None
    thresholds: tuple[tuple[float | None, float | None, str], ...]


@dataclass(frozen=True)
class InputDecl:
    """``<input>`` of a process."""

    name: str
    cls: str
    select: str
    min: int
    max: int | None


@dataclass(frozen=True)
class CalibDecl:
    """``<calib>`` of a process."""

    name: str
    cls: str
    select: str
    match: tuple[str, ...]
    optional: bool


@dataclass(frozen=True)
class ProcessDecl:
    """``<process>``: one recipe run and the products it makes."""

    recipe: str
    parameters: str
    make: str
    validity_nights: int
    keys: tuple[str, ...]
    products: tuple[str, ...]
    inputs: tuple[InputDecl, ...]
    calibrations: tuple[CalibDecl, ...]
    line: int


@dataclass(frozen=True)
class ClassDecl:
    """One ``<class>``."""

    name: str
    base: str
    doc: str
    line: int
    abstract: bool
    static: bool
    behaviour: str | None
    chips: str | None
    recipe: str | None
    pro_catg: str | None
    do_catg: str | None
    flags: tuple[tuple[str, int, str], ...]
    attributes: tuple[AttributeDecl, ...]
    parameters: tuple[ParameterDecl, ...]
    qc: tuple[QcDecl, ...]
    process: ProcessDecl | None


@dataclass(frozen=True)
class DataModel:
    """Every class of the file, in file order, and its ``DATAMODEL_VERSION``."""

    version: str
    classes: tuple[ClassDecl, ...]
    path: Path

    def by_name(self) -> dict[str, ClassDecl]:
        """Classes by name."""
        return {decl.name: decl for decl in self.classes}


def _fail(path: Path, line: int | None, message: str) -> ConfigError:
    return ConfigError(f"{path}:{line or 0}: expected {message}")


def _bool(value: str | None) -> bool:
    return value in ("true", "1")


def _default(path: Path, element: etree._Element, kind: str) -> object:
    text = element.get("default")
    if text is None:
        return None
    try:
        if kind == "bool":
            return _bool(text)
        if kind in _KINDS_OF_DEFAULT:
            return _KINDS_OF_DEFAULT[kind](text)
        if kind == "datetime":
            return dt.datetime.fromisoformat(text)
        if kind == "date":
            return dt.date.fromisoformat(text)
    except ValueError:
        raise _fail(path, element.sourceline, f"a default of type {kind} for "
                    f"{element.get('name') or element.get('eso')}, found {text!r}") from None
    if kind == "dict":
        raise _fail(path, element.sourceline, "no default for a dict attribute")
    return text


def _numbers(text: str) -> list[int]:
    numbers: list[int] = []
    for part in text.split(","):
        first, _, last = part.partition("-")
        numbers.extend(range(int(first), int(last or first) + 1))
    return numbers


def _attribute(path: Path, element: etree._Element) -> AttributeDecl:
    tag = element.tag
    common = {"name": element.get("name"), "doc": element.get("doc"),
              "line": element.sourceline}
    if tag == "attribute":
        kind = element.get("type")
        length = element.get("length")
        if length is not None and kind != "str":
            raise _fail(path, element.sourceline, f"length only on a str attribute, found it "
                        f"on {kind} {common['name']}")
        return AttributeDecl(kind=kind, default=_default(path, element, kind),
                             fits=element.get("fits"),
                             length=int(length) if length else None,
                             index=_bool(element.get("index")),
                             unique=_bool(element.get("unique")),
                             renamed_from=element.get("renamed_from"), **common)
    return AttributeDecl(kind="link", target=element.get("class"), is_list=tag == "list",
                         renamed_from=element.get("renamed_from"), **common)


def _parameter(path: Path, element: etree._Element) -> ParameterDecl:
    eso = element.get("eso")
    name = element.get("name") or eso
    if not name.isidentifier() or name.startswith("_"):
        raise _fail(path, element.sourceline, f"a name= attribute for ESO parameter {eso!r}, "
                    "which is not a valid attribute name")
    kind = element.get("type")
    length = element.get("length")
    if kind == "str" and length is None:
        raise _fail(path, element.sourceline, f"length= for the string parameter {eso}")
    attribute = AttributeDecl(name=name, kind=kind, doc=element.get("doc"),
                              line=element.sourceline, default=_default(path, element, kind),
                              length=int(length) if length else None)
    return ParameterDecl(eso=eso, attribute=attribute)


def _qc(path: Path, element: etree._Element) -> list[QcDecl]:
    template = element.get("key")
    ranged = element.get("range")
    if ("{i}" in template) != (ranged is not None):
        raise _fail(path, element.sourceline, f"range= exactly when the key has {{i}}, found "
                    f"key {template!r} and range {ranged!r}")
    thresholds = tuple((float(t.get("min")) if t.get("min") is not None else None,
                        float(t.get("max")) if t.get("max") is not None else None,
                        t.get("flag")) for t in element.findall("threshold"))
    for low, high, flag in thresholds:
        if low is None and high is None:
            raise _fail(path, element.sourceline, f"min= or max= on the threshold of {flag}")
    unit = element.get("unit")
    doc = element.get("doc") + (f" [{unit}]" if unit else "")
    name, keyword = element.get("name"), element.get("fits")
    if ranged and (name or keyword):
        raise _fail(path, element.sourceline, f"no name= or fits= on the ranged QC {template!r}")
    found = []
    for number in _numbers(ranged) if ranged else [None]:
        key = template if number is None else template.replace("{i}", str(number))
        text = doc if number is None else doc.replace(" i", f" {number}")
        attribute = AttributeDecl(name=name or qc_attribute(key), kind=element.get("type"),
                                  doc=text, line=element.sourceline,
                                  fits=keyword or (None if name else f"ESO QC {key}"))
        found.append(QcDecl(key=key, attribute=attribute, unit=unit, thresholds=thresholds))
    return found


def _process(element: etree._Element) -> ProcessDecl:
    return ProcessDecl(
        recipe=element.get("recipe"), parameters=element.get("parameters"),
        make=element.get("make"), validity_nights=int(element.get("validity_nights", "0")),
        keys=tuple(key.get("name") for key in element.findall("key")),
        products=tuple(product.get("class") for product in element.findall("product")),
        inputs=tuple(InputDecl(name=item.get("name"), cls=item.get("class"),
                               select=item.get("select"), min=int(item.get("min", "1")),
                               max=int(item.get("max")) if item.get("max") else None)
                     for item in element.findall("input")),
        calibrations=tuple(CalibDecl(name=item.get("name"), cls=item.get("class"),
                                     select=item.get("select", "best_for_date"),
                                     match=tuple(m.get("name") for m in item.findall("match")),
                                     optional=_bool(item.get("optional")))
                           for item in element.findall("calib")),
        line=element.sourceline)


def _class(path: Path, element: etree._Element) -> ClassDecl:
    attributes, parameters, qc = [], [], []
    for child in element:
        if child.tag in ("attribute", "link", "list"):
            attributes.append(_attribute(path, child))
        elif child.tag == "parameter":
            parameters.append(_parameter(path, child))
        elif child.tag == "qc":
            qc.extend(_qc(path, child))
    process = element.find("process")
    return ClassDecl(
        name=element.get("name"), base=element.get("base"),
        doc=" ".join(element.findtext("doc").split()), line=element.sourceline,
        abstract=_bool(element.get("abstract")), static=_bool(element.get("static")),
        behaviour=element.get("behaviour"), chips=element.get("chips"),
        recipe=element.get("recipe"), pro_catg=element.findtext("pro_catg"),
        do_catg=element.findtext("do_catg"),
        flags=tuple((flag.get("name"), int(flag.get("bit")), flag.get("doc"))
                    for flag in element.findall("flag")),
        attributes=tuple(attributes), parameters=tuple(parameters), qc=tuple(qc),
        process=None if process is None else _process(process))


def _parse(path: Path) -> etree._ElementTree:
    try:
        schema = etree.XMLSchema(etree.parse(str(SCHEMA_PATH)))
        document = etree.parse(str(path))
    except OSError as exc:
        raise ConfigError(f"{path}: expected a readable muse.xml, found {exc}") from None
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno is not None else 0
        raise ConfigError(f"{path}:{line}: expected well-formed XML, found {exc.msg}") from None
    if not schema.validate(document):
        error = schema.error_log.filter_from_errors()[0]
        raise ConfigError(f"{path}:{error.line}: expected content valid by muse.xsd, found: "
                          f"{error.message}")
    return document


class _Checker:
    """The checks the schema cannot express, in file order."""

    def __init__(self, path: Path, classes: list[ClassDecl]) -> None:
        self.path = path
        self.classes = {decl.name: decl for decl in classes}
        self.names: dict[str, dict[str, int]] = {}

    def ancestors(self, decl: ClassDecl) -> list[str]:
        chain = []
        base = decl.base
        while base in self.classes:
            chain.append(base)
            base = self.classes[base].base
        chain.append(base)
        return chain

    def has(self, class_name: str, attribute: str) -> bool:
        return attribute in self.names.get(class_name, {})

    def check_class(self, decl: ClassDecl, seen: set[str]) -> None:
        path = self.path
        if decl.base not in SYSTEM_BASES and decl.base not in seen:
            raise _fail(path, decl.line, f"base {decl.base!r} of {decl.name} to be "
                        f"{', '.join(SYSTEM_BASES)} or a class declared above")
        if decl.behaviour is not None and decl.behaviour not in BEHAVIOURS:
            raise _fail(path, decl.line, f"behaviour of {decl.name} one of "
                        f"{', '.join(BEHAVIOURS)}, found {decl.behaviour!r}")
        if decl.chips is not None and decl.chips not in seen:
            raise _fail(path, decl.line, f"chips={decl.chips!r} of {decl.name} declared above")
        is_parameter_set = "ParameterSet" in self.ancestors(decl)
        if decl.parameters and not is_parameter_set:
            raise _fail(path, decl.parameters[0].attribute.line, f"<parameter> only in a "
                        f"ParameterSet class, found it in {decl.name}")
        if is_parameter_set and not decl.recipe:
            raise _fail(path, decl.line, f"recipe= on the parameter class {decl.name}")
        names = dict(self.names.get(decl.base, {}))
        own = [*decl.attributes, *(p.attribute for p in decl.parameters),
               *(q.attribute for q in decl.qc)]
        for attribute in own:
            if attribute.name.lower() in {name.lower() for name in names}:
                raise _fail(path, attribute.line, f"a new attribute name in {decl.name}, found "
                            f"{attribute.name!r}, already declared on line "
                            f"{names.get(attribute.name, '?')}")
            if attribute.target and attribute.target not in self.classes and \
                    attribute.target not in SYSTEM_BASES:
                raise _fail(path, attribute.line, f"the class of {decl.name}.{attribute.name} "
                            f"declared, found {attribute.target!r}")
            names[attribute.name] = attribute.line
        self.names[decl.name] = names

    def check_process(self, decl: ClassDecl, made_by: dict[str, str]) -> None:
        process = decl.process
        if process is None:
            return
        path = self.path
        if decl.name not in process.products:
            raise _fail(path, process.line, f"{decl.name} among the products of its own "
                        "process")
        if "ParameterSet" not in self.ancestors(self.classes[process.parameters]):
            raise _fail(path, process.line, f"parameters= a ParameterSet class, found "
                        f"{process.parameters}")
        for product in process.products:
            if product in made_by:
                raise _fail(path, process.line, f"one process per product, found {product} "
                            f"made by {made_by[product]} and {decl.name}")
            made_by[product] = decl.name
            if self.classes[product].abstract:
                raise _fail(path, process.line, f"concrete products, found abstract {product}")
            for key in process.keys:
                if not self.has(product, key):
                    raise _fail(path, process.line, f"key {key!r} an attribute of {product}")
        for calib in process.calibrations:
            for name in calib.match:
                if not self.has(calib.cls, name):
                    raise _fail(path, process.line, f"match {name!r} of {calib.name} an "
                                f"attribute of {calib.cls}")
        for item in process.inputs:
            if item.max is not None and item.max < item.min:
                raise _fail(path, process.line, f"min <= max for input {item.name}")


def load(path: str | Path) -> DataModel:
    """Validate one data-model file and return its declarations.

    Raises :class:`ConfigError` ``FILE:LINE: expected …`` for a broken file.
    """
    path = Path(path)
    root = _parse(path).getroot()
    classes = [_class(path, element) for element in root.findall("class")]
    checker = _Checker(path, classes)
    seen: set[str] = set()
    for decl in classes:
        checker.check_class(decl, seen)
        seen.add(decl.name)
    made_by: dict[str, str] = {}
    for decl in classes:
        checker.check_process(decl, made_by)
    for decl in classes:
        behaviours = {checker.classes[name].behaviour for name in checker.ancestors(decl)
                      if name in checker.classes} | {decl.behaviour}
        processed = "ProductBehaviour" in behaviours or "CalibrationBehaviour" in behaviours
        static = decl.static or any(checker.classes[name].static
                                    for name in checker.ancestors(decl)
                                    if name in checker.classes)
        if processed and not decl.abstract and not static and decl.name not in made_by:
            raise _fail(path, decl.line, f"a <process> that makes {decl.name}")
    return DataModel(version=root.get("version"), classes=tuple(classes), path=path)
