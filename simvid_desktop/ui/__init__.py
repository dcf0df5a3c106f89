"""The desktop window (PySide6). Qt lives here and only here; worker processes never import it."""
