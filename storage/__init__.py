"""storage layer of Parley (see README: Layers)."""
