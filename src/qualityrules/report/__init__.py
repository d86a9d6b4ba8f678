"""The report stage: verdicts, margins and explanations derived from the engine's matrices, and their views."""
