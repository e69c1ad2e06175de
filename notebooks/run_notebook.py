"""Executes a notebook headless, cell by cell, and prints each cell's text output as it finishes.

    python notebooks/run_notebook.py notebooks/quickstart.ipynb [--timeout 300] [--save OUT.ipynb]

Cells run in the notebook's own directory with the "python3" kernel of the Python running this
script (so a virtual environment's packages are the kernel's). Exits 0 when every cell ran, 1
when a cell raised (its traceback is printed), 2 on bad arguments.
"""

import argparse
import os
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError


def _print_outputs(cell, cell_index: int, started: float) -> None:
    print(f"--- cell {cell_index} ({time.monotonic() - started:.1f} s)", flush=True)
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            sys.stdout.write(out.text)
        elif out.output_type in ("execute_result", "display_data"):
            text = out.get("data", {}).get("text/plain")
            if text:
                print(text)
    sys.stdout.flush()


def main(argv) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook")
    parser.add_argument(
        "--timeout", type=int, default=300, help="seconds one cell may run (default 300)"
    )
    parser.add_argument("--save", help="also write the executed notebook, outputs included, here")
    args = parser.parse_args(argv)
    if not os.path.isfile(args.notebook):
        print(f"no notebook at {args.notebook}", file=sys.stderr)
        return 2

    nb = nbformat.read(args.notebook, as_version=4)
    started = time.monotonic()
    client = NotebookClient(
        nb,
        timeout=args.timeout,
        kernel_name="python3",
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(args.notebook))}},
    )
    client.on_cell_executed = lambda cell, cell_index, **_: _print_outputs(
        cell, cell_index, started
    )
    code = 0
    try:
        client.execute()
    except CellTimeoutError as e:
        print(f"a cell ran longer than --timeout {args.timeout} s:\n{e}", file=sys.stderr)
        code = 1
    except CellExecutionError as e:
        print(f"a cell failed:\n{e}", file=sys.stderr)
        code = 1
    finally:
        if args.save:
            nbformat.write(nb, args.save)
    elapsed = time.monotonic() - started
    print(f"notebook {args.notebook}: {'ok' if code == 0 else 'FAILED'} in {elapsed:.1f} s")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
