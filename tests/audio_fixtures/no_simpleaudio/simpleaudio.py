"""Stands in for simpleaudio on PYTHONPATH to test the fallback when it is missing."""

raise ImportError("simpleaudio is blocked for this test")
