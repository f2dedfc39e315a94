"""Evaluation: compile a policy for durable-rules, match, allocate, explain."""
