"""Secrets (DESIGN §11): `${VAR}` references and their values, the detector of literal
secrets, and the redaction of every resolved value wherever text leaves mcpstate."""
