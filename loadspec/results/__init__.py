"""Results, engine-free: load plans and profiles, the run log, statistics rows, thresholds and the verdict."""

__all__: list[str] = []
