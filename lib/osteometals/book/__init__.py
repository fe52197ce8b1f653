"""The executable book: chapters, parameters, build, command line, PDF and browser test.

May know every layer below it. Nothing below imports it.
"""
