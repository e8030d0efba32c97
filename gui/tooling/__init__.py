"""Tooling around the GUI: a virtual screen, framebuffer pictures, screenshots, a headless peer."""
