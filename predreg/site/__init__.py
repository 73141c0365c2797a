"""The registry as a static website: facts gathered once, pages and other files produced from them.

``facts`` gathers what the site shows; each producer (``pages``, ``jsonapi``, ``feeds``)
turns those facts into files; ``build`` writes them all, atomically.
"""
