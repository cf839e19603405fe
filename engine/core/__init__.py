"""The pure core: definition language, validation, calendar, case state and `decide()`.

Nothing here reads the clock, makes ids, or does I/O beyond what a caller passes in.
"""
