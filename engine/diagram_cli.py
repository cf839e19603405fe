"""The `diagram` command: the process diagram of a definition file, the same drawing as the pages'."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from engine.core.loader import load


def add_diagram(sub: Any) -> None:
    p = sub.add_parser("diagram", help="rita processdiagrammet för en definition (SVG med Graphviz)")
    p.add_argument("file")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--svg", action="store_true", help="skriv SVG (förval: diagrammet som text)")
    fmt.add_argument("--dot", action="store_true", help="skriv Graphviz DOT-texten")
    p.add_argument("-o", "--output", default=None, help="fil att skriva till (förval: standard ut)")
    p.set_defaults(func=run_diagram)


def run_diagram(args: argparse.Namespace) -> int:
    from engine.bootstrap import diagram_service
    from engine.service.diagrams import DiagramUnavailable

    definition = load(args.file)
    diagrams = diagram_service()
    if args.svg:
        try:
            out = diagrams.svg(definition)
        except DiagramUnavailable as exc:
            print(str(exc), file=sys.stderr)
            return 2
    elif args.dot:
        out = diagrams.dot(definition)
    else:
        g = diagrams.graph(definition)
        lines = [g.title, ""]
        lines += [
            f"{s.source} → {s.target}"
            + (f" ({s.label})" if s.label else "")
            + f": {s.guard}"
            + (" [tillbaka]" if s.back else "")
            for s in g.steps
        ]
        lines += [""] + g.notes
        out = "\n".join(lines) + "\n"
    if args.output:
        Path(args.output).write_text(out, encoding="utf-8")
    else:
        sys.stdout.write(out)
    return 0
