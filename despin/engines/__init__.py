"""Adapters that run despin's per-record function on existing engines.

- `despin.engines.ray`: Ray Data (``check_dataset(ds)``, ``despin scan --engine ray``).
- `despin.engines.datatrove`: a datatrove filter/annotator step (``DespinFilter``).

The local multiprocessing engine is `despin.scan`. All three call
`despin.scan.row_for_record` / `despin.scan.annotate`, never a copy of the logic.
Each module imports its engine on demand, so this package costs nothing to import.
"""
