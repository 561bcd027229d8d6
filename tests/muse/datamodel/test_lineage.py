"""Lineage (dependencies, dependents, tree, PROV-JSON) and audited QC overrides end to end."""

from __future__ import annotations

import datetime as dt
import json

from astropy.io import fits
from prov.model import ProvDocument

from muse.datamodel import BiasParameters, MasterBias, RawBiasChip
from muse.datamodel.ingest import ingest_file
from muse.datamodel.lineage import to_prov
from muse.datamodel.rules import night_of

from .test_ingest import write_raw


def _master_bias(tmp_path, chips, parameters, *, flags: int = 0) -> MasterBias:
    path = tmp_path / f"mb-{flags}.fits"
    fits.PrimaryHDU().writeto(path)
    night = chips[0].night
    bias = MasterBias(ifu=chips[0].ifu, night=night, DET_READ_CURID=1, raw_chips=chips,
                      parameters=parameters, DATE_OBS=chips[0].DATE_OBS, ncombined=len(chips))
    bias.set_validity_of_night()
    bias.store(path)
    bias.quality_flags = flags
    return bias.commit()


def test_lineage_and_overrides(db_session, tmp_path):
    frames = [ingest_file(write_raw(tmp_path / f"b{n}.fits",
                                    date_obs=f"2016-07-02T10:0{n}:00.000"), commit_it=True).obj
              for n in range(3)]
    chips = [frame.chip(5) for frame in frames]
    parameters = BiasParameters().commit()
    bias = _master_bias(tmp_path, chips, parameters)
    assert bias.dependencies() == [parameters, *chips]
    assert chips[0].dependencies() == [frames[0]]
    assert chips[1].dependents() == [bias]
    assert frames[2].dependents() == list(RawBiasChip.raw_frame == frames[2])
    assert len(frames[2].dependents()) == 24 and chips[2] in frames[2].dependents()
    # parameter sets are shared rows: other tests of the session database use this one too
    assert bias in parameters.dependents()
    tree = bias.lineage()
    nodes = [node.obj for node in tree.walk()]
    assert nodes == [bias, parameters, chips[0], frames[0], chips[1], frames[1], chips[2],
                     frames[2]]
    text = str(tree)
    assert text.splitlines()[0].startswith("MasterBias ") and "    RawBias " in text
    shallow = bias.lineage(depth=1)
    assert [len(node.children) for node in shallow.walk()] == [4, 0, 0, 0, 0]
    assert str(shallow).count("…") == 3  # the chips have frames below the depth
    document = to_prov(tree)
    text = document.serialize(format="json")
    assert json.loads(text)["wasDerivedFrom"]
    again = ProvDocument.deserialize(content=text, format="json")
    assert again == document
    entities = {str(record.identifier) for record in again.get_records()
                if record.get_type().localpart == "Entity"}
    assert f"awe:{frames[1].object_id:016x}" in entities and len(entities) == 8

    moment = dt.datetime(2016, 7, 1, 22, 0)
    assert night_of(moment) == bias.night
    assert MasterBias.select_for_date(moment, ifu=5, DET_READ_CURID=1) == bias
    bias.set_valid(0, "stripes seen by eye")
    assert MasterBias.select_for_dates([moment], ifu=5, DET_READ_CURID=1) == [None]
    bias.set_valid(1, "stripes were a display artefact")
    flagged = _master_bias(tmp_path, chips, parameters, flags=1)
    assert MasterBias.select_for_date(moment, ifu=5, DET_READ_CURID=1) == bias
    bias.set_validity(bias.timestamp_start, moment - dt.timedelta(hours=1), "replaced")
    assert MasterBias.select_for_dates([moment], ifu=5, DET_READ_CURID=1) == [None]
    flagged.override_qc("ron within limits after a re-check")
    assert MasterBias.select_for_date(moment, ifu=5, DET_READ_CURID=1) == flagged
    chips[0].set_valid(0, "light leak")
    assert chips[0] not in list(RawBiasChip.selectable() & (RawBiasChip.night == bias.night))
