"""gui layer of Parley (see README: Layers)."""
