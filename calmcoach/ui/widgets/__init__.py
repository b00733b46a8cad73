"""calmcoach's own widgets."""
