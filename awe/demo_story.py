"""The story `awe demo` tells, step by step, on whatever database, store and DPU are configured.

Each step prints what happened and adds an entry to the summary (what was made, reused and
stopped, with object ids), which :func:`tell_story` returns for ``summary.json``:

1. simulate a small MUSE night (BIAS, FLAT, ARC, one OBJECT, the static calibrations);
2. ingest it; its calibrations are submitted to the DPU as soon as the night is complete;
3. ask for the DATACUBE of the science exposure: the plan, the run, the lineage and the QC;
4. invalidate the IFU-5 chip of one raw BIAS and ask again: MASTER BIAS 5 and its dependents
   are remade from the other frames, nothing else;
5. an engineering BIAS of IFU 7 alone, six times too noisy, arrives: MASTER BIAS 7 is remade,
   fails its read-noise limit, and stops its branch (the cube is not remade); asked once more,
   nothing is remade; the operator marks that chip invalid and the reference cube is up to date;
6. an optimised scipost (sky subtraction, finer drizzle) next to the reference, and
   `awe compare` of the two cubes;
7. the white-light image of the reference cube as a PNG.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from awe.progress import StepProgress
from common.errors import AweError

NIGHT = dt.date(2016, 3, 14)
INVALIDATED_IFU = 5
NOISY_IFU = 7
NOISE_FACTOR = 6.0
OPTIMISED = {"skymethod": "simple", "pixfrac": "0.6,0.6"}

Say = Callable[[str], None]


class DemoError(AweError):
    """A step of the demo did not end as the story says it must."""


class Story:
    """The state the steps share: where things are, the DPU, and the summary being written."""

    def __init__(self, directory: Path, processor: Any, say: Say) -> None:
        self.directory = directory
        self.processor = processor
        self.say = say
        self.steps: list[dict[str, Any]] = []
        self.started = time.monotonic()

    def step(self, title: str) -> None:
        """Start a numbered step on the screen."""
        self.say(f"\n{len(self.steps) + 1}. {title}")

    def record(self, name: str, **values: Any) -> dict[str, Any]:
        """Add the finished step ``name`` to the summary."""
        entry = {"step": name, "seconds": round(time.monotonic() - self.started, 1), **values}
        self.steps.append(entry)
        return entry

    def run_job(self, target: str, *, parameters: dict[str, int] | None = None,
                **keys: Any) -> dict[str, Any]:
        """Submit ``target`` to the DPU, wait with a progress bar, return the job's result."""
        job_id = self.processor.run(target, parameters=parameters, **keys)
        row = self.processor.wait(job_id, progress=StepProgress(sys.stderr, f"job {job_id}",
                                                                  "steps"))
        result = dict(row.get("result") or {})
        result["job_id"], result["state"] = job_id, row["state"]
        if row["state"] == "failed":
            raise DemoError(f"job {job_id} ({target} {keys}) failed: {row.get('error')}")
        return result


def _outcomes(result: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The made, reused and stopped nodes of a job result, as the summary keeps them."""
    return {name: [{"node": outcome["node_id"], "class": outcome["class_name"],
                    "object_id": outcome["object_id"], "reason": outcome["reason"]}
                   for outcome in result.get(name, [])]
            for name in ("made", "reused", "stopped")}


def _tell(story: Story, result: dict[str, Any], *, list_made: bool = True) -> None:
    counts = {name: len(result.get(name, [])) for name in ("made", "reused", "stopped")}
    story.say(f"   job {result['job_id']}: {result['state']}; {counts['made']} made, "
              f"{counts['reused']} reused, {counts['stopped']} stopped")
    for outcome in result.get("made", []) if list_made else []:
        story.say(f"     made    {outcome['node_id']} {outcome['object_id']:#x}")
    for outcome in result.get("stopped", []):
        story.say(f"     stopped {outcome['node_id']}: {outcome['reason']}")


def simulate(story: Story) -> Any:
    """Step 1: the raw files of a small night and the static calibrations ESO ships."""
    from muse.instrument import simulate_night

    raw = story.directory / "raw"
    story.step(f"Simulating MUSE night {NIGHT} (small test geometry) into {raw}")
    night = simulate_night(NIGHT, raw, progress=StepProgress(sys.stderr, "simulate",
                                                               "extensions"))
    counts = {kind: len(files) for kind, files in night.files.items()}
    story.say("   " + ", ".join(f"{count} {kind}" for kind, count in sorted(counts.items()))
              + f", {len(night.statics)} static calibrations; truth in "
              f"{night.truth_directory}")
    story.record("simulate", raw_directory=str(raw), files=counts,
                 statics=sorted(night.statics))
    return night


def ingest(story: Story, night: Any) -> None:
    """Step 2: ingest every file; the complete night's calibrations go to the DPU."""
    from awe.nightly import NightTracker, frame_of, submit_night
    from muse.datamodel.ingest import ingest_files

    paths = [*night.statics.values(), *(p for files in night.files.values() for p in files)]
    story.step(f"Ingesting {len(paths)} files (awe ingest --commit --process-calibrations)")
    results = ingest_files(paths, commit_it=True,
                           progress=StepProgress(sys.stderr, "ingest", "files"))
    refused = [result.message for result in results if result.status == "refused"]
    if refused:
        raise DemoError("ingest refused: " + "; ".join(refused))
    tracker = NightTracker(settle=None)
    for result in results:
        frame = frame_of(result.path)
        if frame is not None:
            tracker.add(frame)
    if NIGHT not in tracker.ready():
        raise DemoError(f"night {NIGHT}: calibration set incomplete: "
                        f"{'; '.join(tracker.missing(NIGHT))}")
    story.say(f"   {len(results)} ingested; night {NIGHT} complete: its calibrations "
              f"(MASTER_BIAS, MASTER_FLAT, TRACE_TABLE, WAVECAL_TABLE × 24 IFUs) go to "
              f"{story.processor.backend_name()}")
    jobs = []
    for job_id in submit_night(story.processor, NIGHT):
        row = story.processor.wait(job_id, progress=StepProgress(sys.stderr, f"job {job_id}",
                                                                   "steps"))
        if row["state"] != "done":
            raise DemoError(f"calibration job {job_id} ended {row['state']}: {row['error']}")
        result = dict(row["result"], job_id=job_id, state=row["state"])
        _tell(story, result, list_made=False)
        jobs.append({"job_id": job_id, "target": row["target"], **_outcomes(result)})
    story.record("ingest", ingested=len(results), jobs=jobs)


def cube_request(story: Story, exposure: str, name: str, title: str, *,
                 parameters: dict[str, int] | None = None, show_plan: bool = False
                 ) -> dict[str, Any]:
    """Ask for the DataCube of ``exposure`` (printing the plan first when asked)."""
    from common.process.planner import plan_target

    story.step(title)
    plan = plan_target("DataCube", {"exposure": exposure}, parameters=parameters)
    if show_plan:
        story.say("   the plan (awe target DataCube exposure=… --dry-run):")
        story.say("\n".join("     " + line for line in plan.text().splitlines()))
    result = story.run_job("DataCube", parameters=parameters, exposure=exposure)
    _tell(story, result)
    story.record(name, job_id=result["job_id"], state=result["state"],
                 cube_id=result.get("root_id"), **_outcomes(result))
    return result


def show_cube(story: Story, cube_id: int) -> None:
    """The cube's lineage (its inputs, then IFU 5's branch down to the raw chips) and QC."""
    from muse.datamodel import DataCube

    cube = DataCube.get(cube_id)
    story.say(f"   lineage of {cube.filename} (awe lineage {cube_id:#x} --depth 1):")
    story.say("\n".join("     " + line for line in str(cube.lineage(depth=1)).splitlines()))
    table = next(table for table in cube.pix_tables if table.ifu == INVALIDATED_IFU)
    story.say(f"   and of its IFU-{INVALIDATED_IFU} pixel table (awe lineage "
              f"{table.object_id:#x} --depth 2):")
    story.say("\n".join("     " + line for line in str(table.lineage(depth=2)).splitlines()))
    qc = {key: getattr(cube, attribute) for key, attribute in cube.qc_keys.items()}
    story.say("   QC: " + ", ".join(f"{key} = {value}" for key, value in qc.items())
              + f"; failures: {cube.qc_failures() or 'none'}")


def invalidate_bias_chip(story: Story) -> int:
    """Step 4a: the IFU-5 chip of the first raw BIAS is marked invalid (audited)."""
    from muse.datamodel import RawBiasChip

    chip = RawBiasChip.of_night(NIGHT, INVALIDATED_IFU).order_by("DATE_OBS")[0]
    chip.set_valid(0, reason="demo: a cosmic-ray shower on IFU 5 of this bias")
    story.say(f"   RawBiasChip {chip.object_id:#x} ({chip.raw_frame.filename} "
              f"CHAN{INVALIDATED_IFU:02d}) marked invalid")
    return int(chip.object_id)


def engineering_bias(story: Story, night: Any) -> Path:
    """Step 5a: an engineering BIAS for IFU 7, its CHAN07 six times too noisy, ingested.

    Only IFU 7 was under test: its other 23 chips are marked invalid at once (audited), so
    the other IFUs' MASTER BIAS keep their inputs.
    """
    from astropy.io import fits

    from muse.datamodel import RawBiasChip
    from muse.datamodel.ingest import ingest_file
    from muse.instrument import amplified_noise

    source = night.bias_files[-1]
    with fits.open(source) as hdus:
        primary = hdus[0].header
        moment = dt.datetime.fromisoformat(primary["DATE-OBS"]) + dt.timedelta(hours=1)
        stamp = moment.isoformat(timespec="milliseconds")
        primary["DATE-OBS"] = stamp
        primary["MJD-OBS"] = primary["MJD-OBS"] + 1 / 24
        primary["ARCFILE"] = f"MUSE.{stamp}.fits"
        chip = hdus[f"CHAN{NOISY_IFU:02d}"]
        chip.data = amplified_noise(chip.data, NOISE_FACTOR)
        path = story.directory / "raw" / primary["ARCFILE"]
        hdus.writeto(path)
    result = ingest_file(path, commit_it=True)
    if result.status != "ingested":
        raise DemoError(f"{path.name}: {result.status}: {result.message}")
    others = 0
    for raw_chip in RawBiasChip.of_night(NIGHT):
        if raw_chip.raw_frame.filename == path.name and raw_chip.ifu != NOISY_IFU:
            raw_chip.set_valid(0, reason=f"demo: engineering frame, only IFU {NOISY_IFU} "
                                         "was under test")
            others += 1
    story.say(f"   {path.name}: CHAN{NOISY_IFU:02d} read out with {NOISE_FACTOR:g}× the "
              f"noise, ingested; its other {others} chips marked invalid (not under test)")
    return path


def mark_engineering_chip_invalid(story: Story, path: Path) -> None:
    """Step 5d: the operator takes the noisy engineering chip out of the night's set."""
    from muse.datamodel import RawBiasChip

    for chip in RawBiasChip.of_night(NIGHT, NOISY_IFU):
        if chip.raw_frame.filename == path.name:
            chip.set_valid(0, reason="demo: engineering read-out test, not for calibration")
            story.say(f"   RawBiasChip {chip.object_id:#x} marked invalid: IFU {NOISY_IFU}'s "
                      "MASTER BIAS is again the one made from the night's five frames")
            return
    raise DemoError(f"{path.name}: its chip of IFU {NOISY_IFU} is not in the database")


def optimised_parameters() -> int:
    """The committed optimised ScipostParameters set (reference values otherwise)."""
    from common.persistent import commit
    from muse.datamodel import ScipostParameters

    parameters = ScipostParameters(**OPTIMISED)
    (parameters,) = commit(parameters)
    return int(parameters.object_id)


def compare_cubes(story: Story, reference_id: int, optimised_id: int) -> dict[str, Any]:
    """Step 6b: `awe compare` of the reference and the optimised cube, with a PNG."""
    from muse.datamodel import DataCube
    from muse.datamodel.compare import compare_products

    png = story.directory / "compare-reference-optimised.png"
    report = compare_products(DataCube.get(reference_id), DataCube.get(optimised_id), png=png)
    story.say("\n".join("   " + line for line in report.text().splitlines()))
    return {"png": str(png), **report.to_dict()}


def white_light(story: Story, cube_id: int) -> Path:
    """Step 7: the reference exposure's IMAGE_FOV (white light) as a PNG with axes."""
    from astropy.io import fits

    from muse.datamodel import DataCube, ImageFov
    from muse.recipes.fov import write_fov_preview

    cube = DataCube.get(cube_id)
    image = (ImageFov.exposure == cube.exposure) & (ImageFov.parameters == cube.parameters)
    fov = image.order_by("object_id")[-1]
    path = fov.retrieve(story.directory / "products")
    png = story.directory / "white-light.png"
    with fits.open(path) as hdus:
        data = hdus["DATA"]
        write_fov_preview(png, data.data, data.header,
                          title=f"IMAGE_FOV (white), {cube.exposure}",
                          unit=data.header.get("BUNIT", ""))
    story.say(f"   {png}")
    return png


def _made(result: dict[str, Any]) -> set[tuple[str, str]]:
    return {(o["class_name"], str(o["keys"].get("ifu", ""))) for o in result.get("made", [])}


def _expect(condition: bool, what: str) -> None:
    if not condition:
        raise DemoError(what)


def tell_story(directory: Path, processor: Any, say: Say = print) -> dict[str, Any]:
    """Run every step in ``directory`` with ``processor`` (a :class:`dpu.client.Processor`).

    Returns the summary (also what ``summary.json`` holds). A step that does not end as the
    story says raises :class:`DemoError` naming it.
    """
    story = Story(directory, processor, say)
    night = simulate(story)
    exposure = night.files["OBJECT"][0].name.removesuffix(".fits")
    ingest(story, night)

    first = cube_request(story, exposure, "datacube",
                         f"Asking for the DATACUBE of {exposure} (awe target DataCube "
                         f"exposure={exposure})", show_plan=True)
    _expect(first["state"] == "done" and first.get("root_id") is not None,
            f"the first DataCube request ended {first['state']}")
    reference = int(first["root_id"])
    show_cube(story, reference)

    story.step(f"Invalidating the IFU-{INVALIDATED_IFU} chip of one raw BIAS")
    chip_id = invalidate_bias_chip(story)
    story.record("invalidate", raw_chip_id=chip_id)
    again = cube_request(story, exposure, "after-invalidation",
                         "Asking for the DATACUBE again: only what depends on that chip")
    ifu = str(INVALIDATED_IFU)
    expected = {("MasterBias", ifu), ("MasterFlat", ifu), ("TraceTable", ifu),
                ("WavecalTable", ifu), ("PixTable", ifu), ("DataCube", ""), ("ImageFov", "")}
    _expect(_made(again) <= expected and ("MasterBias", ifu) in _made(again)
            and again["state"] == "done",
            f"after invalidating IFU {ifu}'s bias chip: made {sorted(_made(again))}")
    reference = int(again["root_id"])

    story.step(f"An engineering BIAS of IFU {NOISY_IFU} alone arrives, too noisy")
    noisy = engineering_bias(story, night)
    story.record("engineering-bias", file=noisy.name)
    stopped = cube_request(story, exposure, "qc-failure",
                           f"Asking for the DATACUBE: MASTER BIAS {NOISY_IFU} is remade and "
                           "fails QC")
    _expect(stopped["state"] == "stopped" and any(
        o["class_name"] == "MasterBias" and "QC" in o["reason"]
        for o in stopped.get("stopped", [])),
        f"the noisy IFU-{NOISY_IFU} bias did not stop its branch: {stopped['state']}")
    once_more = cube_request(story, exposure, "asked-again",
                             "Asking once more: the flagged product is not remade")
    _expect(not once_more.get("made") and once_more["state"] == "stopped",
            f"asked again, made {sorted(_made(once_more))}")
    story.step(f"The operator takes the engineering chip of IFU {NOISY_IFU} out")
    mark_engineering_chip_invalid(story, noisy)
    story.record("operator-invalidates", file=noisy.name)

    optimised_id = optimised_parameters()
    settings = ", ".join(f"{key}={value}" for key, value in OPTIMISED.items())
    optimised = cube_request(story, exposure, "optimised-scipost",
                             f"An optimised scipost ({settings}) next to the reference",
                             parameters={"scipost": optimised_id})
    _expect(optimised["state"] == "done" and _made(optimised) <= {("DataCube", ""),
                                                                  ("ImageFov", "")},
            f"the optimised scipost made {sorted(_made(optimised))}")
    from common.process.planner import plan_target

    plan = plan_target("DataCube", {"exposure": exposure})
    root = plan[plan.root]
    _expect(root.action == "reuse" and root.object_id == reference,
            f"the reference DataCube is not up to date: {root.action} ({root.reason})")
    say(f"   the reference DataCube {reference:#x} is still up to date: {root.reason}")
    story.step("awe compare of the reference and the optimised cube")
    comparison = compare_cubes(story, reference, int(optimised["root_id"]))
    story.record("compare", reference_id=reference, optimised_id=optimised["root_id"],
                 png=comparison["png"])

    story.step("The white-light image of the reference cube")
    png = white_light(story, reference)
    story.record("white-light", png=str(png), cube_id=reference)
    return {"night": NIGHT.isoformat(), "exposure": exposure, "directory": str(directory),
            "dpu": processor.backend_name(), "reference_cube": reference,
            "optimised_cube": optimised["root_id"], "white_light_png": str(png),
            "seconds": round(time.monotonic() - story.started, 1), "steps": story.steps}
