"""The input stage: every table a user hands over (indicator statistics, raw records) enters here."""
