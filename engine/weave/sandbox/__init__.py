"""Simulated systems and throwaway services for the demo, the tests and the benchmarks.

Nothing in the engine's core imports this package.
"""
