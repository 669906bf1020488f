"""Readers and writers: the only place in despin that touches files."""
