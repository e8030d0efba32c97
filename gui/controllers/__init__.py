"""The GUI's controllers: what happens when a person acts on a screen."""
