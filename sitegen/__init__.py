"""sitegen: a static site generator for Hugging Face Daily Papers dumps."""

__version__ = "0.1.0"
