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
from ..evaluate import Evaluation, evaluate, read_reference_set
from ..outputs import atomic_output
from ..pipeline import Pipeline
from ..render import render_evaluation_markdown
from ..report import render_evaluation_html
from .errors import errors_mapped
from .options import GLOSSARY, RUNTIME, SUMMARY, LogFlags, ModelFlags, shared_options

__all__ = ["evaluate_command"]

log = logging.getLogger("it2en.cli")


class EvalFormat(str, Enum):
    md = "md"
    json = "json"
    html = "html"


SrcOpt = Annotated[Path | None, typer.Option(metavar="FILE", help="Italian sources, one segment a line.")]
RefOpt = Annotated[
    list[Path] | None,
    typer.Option(metavar="FILE", help="English references, one a line (repeat for several per segment)."),
]
JsonlOpt = Annotated[
    Path | None,
    typer.Option(metavar="FILE", help='JSONL of {"id", "text", "reference", "reference_summary"}.'),
]
TmxOpt = Annotated[Path | None, typer.Option(metavar="FILE", help="A TMX translation memory (it → en).")]
XliffOpt = Annotated[
    Path | None, typer.Option(metavar="FILE", help="An XLIFF file whose units have targets (it → en).")
]
ConfigsArg = Annotated[
    list[Path] | None,
    typer.Argument(metavar="CONFIG", help="With --compare: the configs (TOML files or presets) to compare."),
]
CompareOpt = Annotated[
    bool, typer.Option("--compare", help="Compare the CONFIGs on the same set (the first is the baseline).")
]
FormatOpt = Annotated[EvalFormat, typer.Option("--format", "-f", help="Output format.")]
OutputOpt = Annotated[Path | None, typer.Option("--output", "-o", metavar="FILE", help="Output file.")]
BadBelowOpt = Annotated[
    float | None,
    typer.Option(metavar="CHRF", help="chrF below which a segment is bad [default: 10th percentile]."),
]
WriteConfigOpt = Annotated[
    Path | None, typer.Option(metavar="FILE", help="Write the calibrated [checks] thresholds to FILE.")
]
BootstrapOpt = Annotated[int, typer.Option(metavar="N", help="Bootstrap resamples (CI, comparisons).")]


@shared_options("config", "translator", *SUMMARY, *RUNTIME, *GLOSSARY)
def evaluate_command(
    flags: ModelFlags,
    logs: LogFlags,
    src: SrcOpt = None,
    ref: RefOpt = None,
    jsonl: JsonlOpt = None,
    tmx: TmxOpt = None,
    xliff: XliffOpt = None,
    configs: ConfigsArg = None,
    compare: CompareOpt = False,
    output_format: FormatOpt = EvalFormat.md,
    output: OutputOpt = None,
    bad_below: BadBelowOpt = None,
    write_config: WriteConfigOpt = None,
    bootstrap: BootstrapOpt = 1000,
) -> None:
    """Measure translation quality on a reference set with sacreBLEU (BLEU, chrF, chrF++,
    signatures, 95% CI), ROUGE for reference summaries, compare configurations with paired
    bootstrap resampling, and calibrate the trust checks' thresholds.

    Example: it2en eval --src it.txt --ref en.txt --compare cpu.toml beam2.toml
    """
    with errors_mapped(logs):
        items = read_reference_set(src=src, refs=ref or (), jsonl=jsonl, tmx=tmx, xliff=xliff)
        pipelines = _pipelines(flags, configs or [], compare)

        def progress(stage: str) -> None:
            if sys.stderr.isatty() and not logs.quiet:  # a terminal sees the stages; logs do not
                typer.echo(f"{stage} ...", err=True)

        evaluation = evaluate(items, pipelines, bad_below=bad_below, n_bootstrap=bootstrap, progress=progress)
        with atomic_output(output) as stream:
            stream.write(_rendered(evaluation, output_format))
        calibration = evaluation.systems[0].calibration
        if write_config is not None and calibration is not None:
            with atomic_output(write_config) as stream:
                stream.write(calibration.config_snippet())


def _pipelines(flags: ModelFlags, configs: list[Path], compare: bool) -> dict[str, Pipeline]:
    """The systems to evaluate by name: each config compared, or the flags' one."""
    if compare and len(configs) < 2:
        raise ConfigError("--compare needs two configs or more: it2en eval ... --compare A.toml B.toml")
    if configs and not compare:
        raise ConfigError("configs are compared with --compare: it2en eval ... --compare A.toml B.toml")
    if compare:
        return {path.stem: Pipeline(replace(flags, config=path).load()) for path in configs}
    return {"it2en": Pipeline(flags.load())}


def _rendered(evaluation: Evaluation, output_format: EvalFormat) -> str:
    if output_format is EvalFormat.json:
        return json.dumps(evaluation.to_dict(), ensure_ascii=False, indent=2) + "\n"
    if output_format is EvalFormat.html:
        return render_evaluation_html(evaluation)
    return render_evaluation_markdown(evaluation)
