"""The input stage: one reader for indicator tables and raw records.

``source`` (files: encoding, delimiter, quoting, header row, Excel formats, 1-based spreadsheet
row numbers, streamed batches) and ``frames`` (in-memory tables, without copies) make every input
a :class:`~qualityrules.tables.source.Table`; ``cells`` reads the text of a cell, the same way for
both paths; ``observations`` turns a table into indicator values per region and year,
``record_chunks`` into typed chunks of raw records.
"""
