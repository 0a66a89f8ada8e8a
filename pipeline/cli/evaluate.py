"""``eval``: translation (and summary) quality on a reference set, compared and calibrated."""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import replace
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from ..errors import ConfigError
from ..evaluate import evaluate, read_reference_set
from ..outputs import atomic_output
from ..pipeline import Pipeline
from ..render import render_evaluation_markdown
from ..report import render_evaluation_html
from .errors import errors_mapped
from .options import RUNTIME, SUMMARY, LogFlags, ModelFlags, shared_options

__all__ = ["evaluate_command"]

log = logging.getLogger("it2en.cli")


class EvalFormat(str, Enum):
    md = "md"
    json = "json"
    html = "html"


@shared_options("config", "translator", *SUMMARY, *RUNTIME)
def evaluate_command(
    flags: ModelFlags,
    logs: LogFlags,
    src: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Italian sources, one segment a line.")
    ] = None,
    ref: Annotated[
        list[Path] | None,
        typer.Option(metavar="FILE", help="English references, one a line (repeat for several per segment)."),
    ] = None,
    jsonl: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help='JSONL of {"id", "text", "reference", "reference_summary"}.'),
    ] = None,
    tmx: Annotated[
        Path | None, typer.Option(metavar="FILE", help="A TMX translation memory (it → en).")
    ] = None,
    configs: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="CONFIG...", help="With --compare: the configs (TOML files or presets) to compare."
        ),
    ] = None,
    compare: Annotated[
        bool,
        typer.Option("--compare", help="Compare the CONFIGs on the same set (the first is the baseline)."),
    ] = False,
    output_format: Annotated[
        EvalFormat, typer.Option("--format", "-f", help="Output format.")
    ] = EvalFormat.md,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", metavar="FILE", help="Output file.")
    ] = None,
    bad_below: Annotated[
        float | None,
        typer.Option(metavar="CHRF", help="chrF below which a segment is bad [default: 10th percentile]."),
    ] = None,
    write_config: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Write the calibrated [checks] thresholds to FILE.")
    ] = None,
    bootstrap: Annotated[
        int, typer.Option(metavar="N", help="Bootstrap resamples (CI, comparisons).")
    ] = 1000,
) -> None:
    """Measure translation quality on a reference set with sacreBLEU (BLEU, chrF, chrF++,
    signatures, 95% CI), ROUGE for reference summaries, compare configurations with paired
    bootstrap resampling, and calibrate the trust checks' thresholds.

    Example: it2en eval --src it.txt --ref en.txt --compare cpu.toml beam2.toml
    """
    with errors_mapped(logs):
        items = read_reference_set(src=src, refs=ref or (), jsonl=jsonl, tmx=tmx)
        if compare and len(configs or ()) < 2:
            raise ConfigError("--compare needs two configs or more: it2en eval ... --compare A.toml B.toml")
        if configs and not compare:
            raise ConfigError("configs are compared with --compare: it2en eval ... --compare A.toml B.toml")
        if compare:
            pipelines = {path.stem: Pipeline(replace(flags, config=path).load()) for path in configs or ()}
        else:
            pipelines = {"it2en": Pipeline(flags.load())}

        def progress(stage: str) -> None:
            if sys.stderr.isatty() and not logs.quiet:  # a terminal sees the stages; logs do not
                typer.echo(f"{stage} ...", err=True)

        evaluation = evaluate(items, pipelines, bad_below=bad_below, n_bootstrap=bootstrap, progress=progress)
        if output_format is EvalFormat.json:
            text = json.dumps(evaluation.to_dict(), ensure_ascii=False, indent=2) + "\n"
        elif output_format is EvalFormat.html:
            text = render_evaluation_html(evaluation)
        else:
            text = render_evaluation_markdown(evaluation)
        with atomic_output(output) as stream:
            stream.write(text)
        calibration = evaluation.systems[0].calibration
        if write_config is not None and calibration is not None:
            with atomic_output(write_config) as stream:
                stream.write(calibration.config_snippet())
