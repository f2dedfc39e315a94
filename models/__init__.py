"""Domain records, their schemas, importers of credential formats, and storage."""
