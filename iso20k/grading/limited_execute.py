"""nbgrader's Execute with an output budget per notebook.

nbgrader's LimitOutput trims outputs only after the run; a cell that prints forever would fill
the grading worker's memory first.  Here, once a notebook has printed ``output_limit_bytes``,
further output is dropped as it arrives and a notice takes its place.  The cell is not
interrupted: an interrupt sent while output is still arriving can land after that cell ended, in
whichever cell runs next, and so move points between cells.  A cell that prints forever is stopped
by the cell time limit instead, which nbclient applies to the cell that is still running.  Error outputs are always kept (nbgrader grades a test cell by whether it has
one), with their traceback cut short."""

from __future__ import annotations

import json

from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Integer

NOTICE = "[output stopped: this notebook printed more than {kib} KiB · 输出过多，已停止]\n"


class LimitedExecute(Execute):
    output_limit_bytes = Integer(1024 * 1024, help="Output a notebook may produce while it runs").tag(config=True)
    max_traceback_lines = Integer(40, help="Lines kept of an error's traceback").tag(config=True)

    output_bytes = 0
    stopped_cells: list[int]

    def preprocess(self, nb, resources=None, km=None):
        self.output_bytes = 0
        self.stopped_cells = []
        return super().preprocess(nb, resources, km)

    def output(self, outs, msg, display_id, cell_index):
        if msg["msg_type"] == "error":
            content = msg["content"]
            content["traceback"] = list(content.get("traceback", []))[-self.max_traceback_lines:]
            content["evalue"] = str(content.get("evalue", ""))[:2000]
            return super().output(outs, msg, display_id, cell_index)
        self.output_bytes += len(json.dumps(msg["content"], ensure_ascii=False))
        if self.output_bytes <= self.output_limit_bytes:
            return super().output(outs, msg, display_id, cell_index)
        if cell_index not in self.stopped_cells:
            self.stopped_cells.append(cell_index)
            outs.append(new_output("stream", name="stderr", text=NOTICE.format(kib=self.output_limit_bytes // 1024)))
        return None
