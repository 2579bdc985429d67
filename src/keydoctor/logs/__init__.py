"""Who uses a key: CloudTrail and S3 server access logs, read by a SQL engine.

An organisation trail holds more events than a loop in Python reads in useful time, so
the reading and the grouping are SQL (``sql.py``, the one module that holds it), run by
an engine: embedded DuckDB by default, PySpark for a cluster, or printed for Athena.
Every engine turns the files into the same narrow rows of events and groups them by the
same query; what comes back is small (one row per key, source, code and operation) and
is turned into the answer (``report.py``) by the same Python for every engine, so the
engines can only disagree about reading, which the tests compare.
"""
