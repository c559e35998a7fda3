"""``dlproof --help`` without typer's rich formatter (src/dlproof/cli.py, ``typer.Typer(...)``).

``python -X importtime`` of ``dlproof --help`` (median of 3): ``typer.rich_utils`` costs ~100 ms
cumulative, pulling in ``rich.markdown`` -> ``markdown_it`` (28 ms), ``rich.syntax`` ->
``pygments`` (21 ms), ``rich.traceback``, ``rich.pretty``, ``rich.columns``: all only to draw the
help screen's boxes. With ``typer.Typer(..., rich_markup_mode=None)`` typer formats help with
click's plain formatter and imports none of them (the command list and texts are the same,
without the box drawing). ``show``/``search`` still use rich for their own output.

This script times, as fresh processes interleaved, ``dlproof --help`` as it is and with the app's
``rich_markup_mode`` set to None before ``main`` runs.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

AS_IS = "from dlproof import cli; cli.main(['--help'])"
PLAIN = "from dlproof import cli; cli.app.rich_markup_mode = None; cli.main(['--help'])"


def main(runs: int = 15) -> None:
    def once(code):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], capture_output=True, check=True)
        return time.perf_counter() - t0

    for code in (AS_IS, PLAIN):  # warm the page cache
        once(code)
    a, b = [], []
    for _ in range(runs):
        a.append(once(AS_IS))
        b.append(once(PLAIN))
    print(f"dlproof --help as it is: {statistics.median(a) * 1e3:.0f} ms; "
          f"with rich_markup_mode=None: {statistics.median(b) * 1e3:.0f} ms "
          f"(medians of {runs}, fresh processes)")


if __name__ == "__main__":
    main()
