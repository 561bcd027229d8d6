"""Two writers committing equal parameter sets at once: the second gets the first's set.

The DPU's scheduler and a user's session (or two DPUs) may make products with the same new
parameter set at the same moment; both look the set up, find none and insert it, and the
unique ``params_hash`` refuses the second insert. The commit must then retry once and link
the committed set instead of failing the whole product commit.
"""

from __future__ import annotations

from typing import Any

from common.config import Context
from common.persistent import DataObject, commit, persistent, session
from common.persistent.system import ParameterSet


class RaceParameters(ParameterSet):
    tag = persistent("test isolation tag", str, None, length=40)
    sigma = persistent("rejection threshold", float, 3.0)


class RaceProduct(DataObject):
    """A product whose store check lets a second writer commit an equal parameter set.

    ``check_stored`` runs after the commit looked its parameter sets up and before it inserts,
    exactly the window in which another process's commit lands.
    """

    tag = persistent("test isolation tag", str, None, length=40)
    parameters = persistent("parameters used", RaceParameters)
    interleave: Any = None

    def check_stored(self, store: Any) -> None:
        super().check_stored(store)
        action, RaceProduct.interleave = RaceProduct.interleave, None
        if action is not None:
            action()


def test_equal_parameter_set_committed_meanwhile(database, local_store, tmp_path) -> None:
    import uuid

    tag = uuid.uuid4().hex[:12]
    first = Context(user="first", project="test")
    second = Context(user="second", project="test")

    def other_writer() -> None:
        with session(database, second, store=local_store):
            RaceParameters(tag=tag, sigma=2.5).commit()

    with session(database, first, store=local_store):
        path = tmp_path / "race.fits"
        path.write_bytes(b"SIMPLE  =                    T race " + tag.encode())
        product = RaceProduct(tag=tag, parameters=RaceParameters(tag=tag, sigma=2.5))
        product.store(path)
        RaceProduct.interleave = other_writer
        committed, = commit(product)
        sets = list(RaceParameters.tag == tag)
        assert len(sets) == 1, "one parameter set with these values"
        assert committed.parameters.object_id == sets[0].object_id
        assert sets[0].creator == "second"
        assert len(list(RaceProduct.tag == tag)) == 1
