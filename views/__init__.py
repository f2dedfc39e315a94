"""HTTP and command-line fronts: thin calls into models and engine."""
