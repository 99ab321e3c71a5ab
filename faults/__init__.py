"""The fault-injection suite (``./devctl faults``): the whole system under one fault at a time.

Scripts, not tests: pytest does not collect this folder. See README.md, "Faults".
"""
