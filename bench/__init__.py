"""Benchmarks: seeded synthetic policies and wallets, baselines, and the runner behind
`credstack bench`."""
