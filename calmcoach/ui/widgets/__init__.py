"""The app's own widgets; import Textual, Rich and the domain only."""
