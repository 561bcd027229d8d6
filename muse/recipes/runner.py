"""Running a recipe IFU by IFU: in this process or in worker processes, with progress.

Per-IFU work is a picklable task handed to a module-level function, so the same code runs
serially (``nifu = 0`` or one IFU) and in a pool of ``spawn`` processes (``nifu = -1``).
Memory is bounded by one IFU stack per running worker; OpenMP threads per worker are
cores // workers unless ``OMP_NUM_THREADS`` says otherwise. In this process, the products of
one IFU are written by a background thread while the next IFU is computed, and IFUs reuse
one set of scratch arrays. A task writes only the temporary files it was given; the caller
renames them once every IFU has succeeded.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from astropy.io import fits

from common.config import Progress
from common.errors import RecipeError
from muse.layout import N_IFUS
from muse.recipes.basicproc import release_workspaces
from muse.recipes.frames import RawFile
from muse.recipes.products import (
    WRITER,
    PendingFiles,
    RecipeResult,
    UnitResult,
    assemble_merged,
    preview_name,
    product_name,
)
from muse.recipes.scratch import is_output_failure, output_error

__all__ = ["IfuOutput", "Progress", "run_per_ifu", "run_recipe", "select_ifus"]

"""Called as ``progress(done, total, message)`` when an IFU is finished."""

Task = TypeVar("Task")


@dataclass(frozen=True)
class IfuOutput:
    """What the work on one IFU returns to the caller (plain, picklable data)."""

    ifu: int
    qc: dict[str, float | int]
    attributes: dict[str, Any]


def select_ifus(nifu: int, ifus: Sequence[int] | None, inputs: Sequence[RawFile]) -> list[int]:
    """The IFUs to process: ``ifus`` if given, else ESO's ``nifu``; each one in every input.

    ``nifu`` 0 or -1 means every IFU found in any input, 1..24 that one. An IFU to process
    that an input lacks is refused naming the file and the extension, so a run never makes
    fewer products than its inputs call for, whichever input sorts first.
    """
    if ifus is not None:
        wanted = sorted({int(i) for i in ifus})
    elif nifu > 0:
        wanted = [nifu]
    else:
        wanted = sorted(set().union(*(raw.ifus() for raw in inputs)))
    for ifu in wanted:
        if not 1 <= ifu <= N_IFUS:
            raise RecipeError(f"IFU {ifu}: expected 1-{N_IFUS}")
        for raw in inputs:
            raw.location(ifu)
    if not wanted:
        raise RecipeError(f"{inputs[0].path}: no extension named CHAN01...CHAN24 to process")
    return wanted


def run_per_ifu(work: Callable[[Task], IfuOutput], tasks: Sequence[Task], *, processes: int,
                progress: Progress | None = None) -> list[IfuOutput]:
    """Run ``work`` on every task, serially (``processes`` ≤ 1) or in a process pool.

    Returns the outputs in task order. The first failure stops the run: queued tasks are
    cancelled and the error is raised once running ones have ended.
    """
    total = len(tasks)
    outputs: dict[int, IfuOutput] = {}

    def report(output: IfuOutput) -> None:
        if progress is not None:
            progress(len(outputs), total, f"IFU {output.ifu:2d} done")

    if processes <= 1 or total <= 1:
        for index, task in enumerate(tasks):
            outputs[index] = work(task)
            report(outputs[index])
        return [outputs[i] for i in range(total)]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(processes, total), mp_context=context) as pool:
        futures: dict[Future[IfuOutput], int] = {pool.submit(work, task): index
                                                  for index, task in enumerate(tasks)}
        pending = set(futures)
        try:
            while pending:
                done, pending = wait(pending, return_when=FIRST_EXCEPTION)
                for future in done:
                    outputs[futures[future]] = future.result()
                    report(outputs[futures[future]])
        except BaseException:
            for future in pending:
                future.cancel()
            raise
    return [outputs[i] for i in range(total)]


def run_recipe(*, recipe: str, categories: Sequence[str], ifus: Sequence[int], out_dir: Path,
               merged: bool, processes: int, work: Callable[[Task], IfuOutput],
               make_task: Callable[[int, dict[str, Path], Path], Task],
               merged_headers: Callable[[], Mapping[str, fits.Header]],
               progress: Progress | None = None) -> RecipeResult:
    """Run a recipe over ``ifus`` and put its products in place, all or nothing.

    ``make_task(ifu, products, preview)`` builds the task of one IFU given the temporary
    path of each product category (a fragment when ``merged``) and of its preview.
    With ``merged``, ``merged_headers()`` gives the primary header of each merged file,
    which is assembled from the fragments in IFU order. An output directory the system
    refuses (read-only, full, not a directory) raises :class:`RecipeError` naming it.
    """
    out_dir = Path(out_dir)
    try:
        with PendingFiles(out_dir) as pending:
            tasks = []
            fragments: dict[str, list[Path]] = {catg: [] for catg in categories}
            for ifu in ifus:
                products = {}
                for catg in categories:
                    if merged:
                        products[catg] = pending.scratch(product_name(catg, ifu))
                        fragments[catg].append(products[catg])
                    else:
                        products[catg] = pending.temporary(product_name(catg, ifu))
                tasks.append(make_task(ifu, products, pending.temporary(
                    preview_name(categories[0], ifu))))
            in_process = processes <= 1 or len(tasks) <= 1
            try:
                with WRITER.active(in_process):
                    outputs = run_per_ifu(work, tasks, processes=processes, progress=progress)
            finally:
                release_workspaces()
            if merged:
                headers = merged_headers()
                for catg in categories:
                    assemble_merged(pending.temporary(product_name(catg, None)), headers[catg],
                                    fragments[catg])
            files = pending.commit()
    except OSError as exc:
        if is_output_failure(out_dir, exc):
            raise output_error(out_dir, exc) from None
        raise

    results = {}
    for output in outputs:
        own = {catg: out_dir / product_name(catg, None if merged else output.ifu)
               for catg in categories}
        own["PREVIEW"] = out_dir / preview_name(categories[0], output.ifu)
        results[output.ifu] = UnitResult(unit=output.ifu, qc=output.qc,
                                         attributes=output.attributes, files=own)
    return RecipeResult(recipe=recipe, files=tuple(files), units=results)
