"""Simvid Desktop: photos and music in, a finished MP4 slideshow out."""

__version__ = "0.1.0"
