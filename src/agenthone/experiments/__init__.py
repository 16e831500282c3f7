"""Online experiments: assignment, peeking-safe statistics and decisions."""
