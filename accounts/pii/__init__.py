"""Personal data at rest: encryption key ring, encrypted fields, blind index,
masking, the registry of PII columns, and the raw-database audit."""
