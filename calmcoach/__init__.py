"""calmcoach: a guided breathing and relaxation coach for the terminal."""

__version__ = "0.1.0"
