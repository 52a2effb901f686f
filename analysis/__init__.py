"""The functional core: pure checks over frozen dataclasses. No I/O, no clock, no environment."""
