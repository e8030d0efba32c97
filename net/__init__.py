"""net layer of Parley (see README: Layers)."""
