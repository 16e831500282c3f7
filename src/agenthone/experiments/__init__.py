"""Online experiments: hash assignment, peeking-safe statistics, and the measured impact of deployments."""

__all__: list[str] = []
