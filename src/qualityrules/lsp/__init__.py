"""The language server for ``.qr`` files (``qualityrules lsp``; the ``lsp`` extra)."""
