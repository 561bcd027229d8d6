import pickle

import pytest

from common import errors
from common.errors import AweError, NotFound, error_from_wire, registered_error_types


def test_every_exported_error_is_registered_under_its_own_name():
    registry = registered_error_types()
    for name in errors.__all__:
        cls = getattr(errors, name)
        if isinstance(cls, type):
            assert registry[cls.error_type] is cls
            assert cls.error_type == name


def test_round_trip_over_the_wire_keeps_class_and_message():
    for cls in registered_error_types().values():
        original = cls(f"{cls.__name__}: object 17, field ifu, expected 1-24, found 25")
        rebuilt = error_from_wire(*original.to_wire())
        assert type(rebuilt) is cls
        assert str(rebuilt) == str(original)


def test_errors_are_also_builtin_errors():
    assert issubclass(errors.NotFound, LookupError)
    assert issubclass(errors.ConfigError, ValueError)
    assert issubclass(errors.PermissionDenied, PermissionError)
    assert issubclass(errors.StoreUnavailable, errors.StoreError)
    assert issubclass(errors.SchemaEvolutionError, errors.DatabaseError)


def test_unknown_error_type_keeps_its_name_in_the_message():
    rebuilt = error_from_wire("FutureError", "something new")
    assert type(rebuilt) is AweError
    assert str(rebuilt) == "FutureError: something new"


def test_subclass_without_own_error_type_travels_as_its_base():
    class MasterBiasNotFound(NotFound):
        pass

    wire = MasterBiasNotFound("MasterBias 5: not found").to_wire()
    assert wire == ("NotFound", "MasterBias 5: not found")
    assert type(error_from_wire(*wire)) is NotFound


def test_duplicate_error_type_is_refused():
    with pytest.raises(TypeError, match="already used by common.errors.NotFound"):
        type("Other", (AweError,), {"error_type": "NotFound"})


def test_errors_pickle_for_process_pools():
    error = errors.RecipeError("raw.fits[CHAN05]: ESO DET READ CURID missing")
    assert str(pickle.loads(pickle.dumps(error))) == str(error)
