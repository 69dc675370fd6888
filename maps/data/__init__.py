"""Data files bundled with maps (a package so that setuptools ships them): see README.md."""
