"""The demo park: a chemical park modelled on the Shanghai Chemical Industry Park, generated from a seed.

scene.py builds it as plain records (pure: seed + district boundaries in, records out); loader.py writes it.
"""
