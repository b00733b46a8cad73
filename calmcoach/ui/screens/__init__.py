"""calmcoach's screens."""
