"""techforce: an open platform for the technical workforce of universities and research
institutes. The library is the product; the CLI (and later the web app) are thin clients."""

__version__ = "0.1.0"
