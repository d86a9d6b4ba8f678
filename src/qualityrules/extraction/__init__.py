"""Drafting a rule pack from a plan's text (``qualityrules extract``): reading the text, its
numbered structure, the targets in it, binding them to the catalogue, writing and linting the
draft, and comparing a draft with an existing pack."""
