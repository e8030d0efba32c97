"""The GUI's views: Tk frames, canvases and styles."""
