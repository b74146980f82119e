"""Reference data every feature reads the same way: review cycles, levels, working days, documents.

Each data file has exactly one reader here; features ask these objects instead of parsing the
files themselves, so leniency and defaults are decided once.
"""
