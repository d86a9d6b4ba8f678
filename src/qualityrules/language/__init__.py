"""The language stage: text normalisation, the grammar-backed parser, the syntax model, the formatter, units."""
