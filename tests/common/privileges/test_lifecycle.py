"""Link checks, publish and delete under the privilege rules, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import uuid

import pytest

from common.errors import AweError, IntegrityError, PermissionDenied
from common.persistent import session as persistent_session
from common.persistent.objects import AuditRecord
from common.persistent.query import Query
from tests.common.privileges.conftest import Installation
from tests.common.privileges.model import PrivParameters, PrivSample
from tests.common.privileges.test_visibility import visible_labels


def acting(installation: Installation, user: str, project: str = "alpha", privileges: int = 2):
    """A session of ``user`` on their own connection."""
    return persistent_session(installation.users[user],
                              installation.context(user, project, privileges))


def test_a_link_to_an_invisible_object_is_refused(installation: Installation) -> None:
    tag = uuid.uuid4().hex[:12]
    with acting(installation, "alice", privileges=1):
        hidden = PrivSample(tag=tag, label="hidden").commit().object_id
    with acting(installation, "carol", "beta"):
        with pytest.raises(IntegrityError, match="not visible to carol"):
            thief = PrivSample(tag=tag, label="thief")
            thief.__dict__["source"] = hidden  # an id read elsewhere; the API takes objects
            thief.commit()
        assert len(PrivSample.tag == tag) == 0


def test_an_object_is_never_more_visible_than_its_dependency(
        installation: Installation) -> None:
    tag = uuid.uuid4().hex[:12]
    with acting(installation, "alice", privileges=1):
        private = PrivSample(tag=tag, label="private").commit()
        with pytest.raises(PermissionDenied, match="would be more visible"):
            PrivSample(tag=tag, label="shared", source=private, privileges=2).commit()
        PrivSample(tag=tag, label="also private", source=private).commit()
        new_private = PrivSample(tag=tag, label="new", privileges=1)
        with pytest.raises(PermissionDenied, match="would be more visible"):
            PrivSample(tag=tag, label="shared", source=new_private, privileges=3).commit()


def test_equal_parameter_sets_are_one_object_for_every_user(
        installation: Installation) -> None:
    sigma = uuid.uuid4().int % 10**6 / 1000
    with acting(installation, "alice", privileges=1):
        first = PrivParameters(sigma=sigma).commit()
        assert first.privileges == 5, "a value is committed published"
    with acting(installation, "carol", "beta", privileges=1):
        again = PrivParameters(sigma=sigma).commit()
    assert again.object_id == first.object_id


def _tree(installation: Installation, tag: str) -> tuple[int, int]:
    """alice's base (level 2) and bob's product made from it (level 2), both in alpha."""
    with acting(installation, "alice"):
        base = PrivSample(tag=tag, label="base").commit().object_id
    with acting(installation, "bob"):
        product = PrivSample(tag=tag, label="product",
                             source=PrivSample.get(base)).commit().object_id
    return base, product


def test_publish_raises_the_whole_tree_or_nothing(installation: Installation) -> None:
    tag = uuid.uuid4().hex[:12]
    base, product = _tree(installation, tag)
    with acting(installation, "alice"), pytest.raises(
            PermissionDenied, match=r"may not raise 1 of the 2 .*creator bob"):
        PrivSample.get(product).publish(3)
    assert visible_labels(installation, "carol", tag) == set()
    with acting(installation, "bob"):
        planned = PrivSample.get(product).publish(3, dry_run=True)
        assert {node.object_id for node in planned} == {base, product}
        assert visible_labels(installation, "carol", tag) == set()
        PrivSample.get(product).publish(3)
        assert PrivSample.get(base).privileges == 3
        for object_id in (base, product):
            audits = (AuditRecord.field == "privileges") & \
                (AuditRecord.target == PrivSample.get(object_id))
            assert [(a.old_value, a.new_value, a.creator) for a in audits] == [("2", "3", "bob")]
    assert visible_labels(installation, "carol", tag) == {"base", "product"}


def test_delete_refusals_and_recursive_delete(installation: Installation) -> None:
    tag = uuid.uuid4().hex[:12]
    base, product = _tree(installation, tag)
    with acting(installation, "alice"):
        with pytest.raises(IntegrityError, match=f"1 object.* depend on it.*{product:#018x}"):
            PrivSample.get(base).delete()
        with pytest.raises(PermissionDenied, match="not yours"):
            PrivSample.get(base).delete(recursive=True)
    assert visible_labels(installation, "alice", tag) == {"base", "product"}
    with acting(installation, "bob"):
        deleted = PrivSample.get(base).delete(recursive=True)
        assert [node.object_id for node in deleted] == [product, base], "dependents first"
        assert len(PrivSample.tag == tag) == 0
    with acting(installation, "alice"):
        published = PrivSample(tag=tag, label="published", privileges=3).commit()
        with pytest.raises(PermissionDenied, match="a manager of its project must force it"):
            published.delete(force=True)
    with acting(installation, "carol", "beta"), pytest.raises(PermissionDenied,
                                                             match="not yours"):
        PrivSample.get(published.object_id).delete()
    with acting(installation, "bob"):
        with pytest.raises(PermissionDenied, match="use force"):
            PrivSample.get(published.object_id).delete()
        PrivSample.get(published.object_id).delete(force=True)
    assert visible_labels(installation, "carol", tag) == set()


def test_query_narrowing_survives_to_dict(installation: Installation) -> None:
    tag = uuid.uuid4().hex[:12]
    with acting(installation, "alice", privileges=3):
        PrivSample(tag=tag, label="a3").commit()
    with acting(installation, "bob", privileges=2):
        PrivSample(tag=tag, label="b2").commit()
    with acting(installation, "bob"):
        query = PrivSample.tag == tag
        assert {obj.label for obj in query} == {"a3", "b2"}
        assert {obj.label for obj in query.user_only()} == {"b2"}
        assert {obj.label for obj in query.privileges_only(3)} == {"a3"}
        assert len(query.project_only()) == 2
        again = Query.from_dict(query.user_only().to_dict())
        assert {obj.label for obj in again} == {"b2"}


def _race(installation: Installation, product: int, action: str, barrier: threading.Barrier,
          errors: list[BaseException]) -> None:
    """bob publishes or deletes ``product`` when the other thread is ready too."""
    try:
        with acting(installation, "bob"):
            target = PrivSample.get(product)
            barrier.wait()
            if action == "publish":
                target.publish(3)
            else:
                target.delete()
    except AweError as exc:
        errors.append(exc)


@pytest.mark.postgres
def test_concurrent_publish_and_delete_end_consistent(pg_installation: Installation) -> None:
    outcomes = set()
    for _ in range(6):
        tag = uuid.uuid4().hex[:12]
        base, product = _tree(pg_installation, tag)
        errors: list[BaseException] = []
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=_race, args=(pg_installation, product, action,
                                                        barrier, errors))
                   for action in ("publish", "delete")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert len(errors) <= 1, errors
        with acting(pg_installation, "bob"):
            found = {obj.object_id: obj.privileges for obj in PrivSample.tag == tag}
        if product in found:
            assert found == {base: 3, product: 3}, "published, not deleted"
            outcomes.add("published")
        else:
            assert found in ({base: 2}, {base: 3}), "deleted; the base kept one level"
            outcomes.add("deleted")
    assert outcomes, "every round ended in one of the two consistent states"


def test_a_project_gives_its_default_privileges(installation: Installation,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWE_PROJECT", "alpha")
    with persistent_session(installation.users["alice"]) as opened:
        assert (opened.context.project, opened.context.privileges) == ("alpha", 2)
    monkeypatch.setenv("AWE_PRIVILEGES", "1")
    with persistent_session(installation.users["alice"]) as opened:
        assert opened.context.privileges == 1, "AWE_PRIVILEGES wins"
