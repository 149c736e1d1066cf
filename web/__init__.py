"""web: the 3D command-centre page (CesiumJS) and the 2D tablet page (MapLibre GL), served locally; they use
the layers' public URLs only."""
