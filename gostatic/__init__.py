"""gostatic: a drop-in for `go build` whose output is proved static by reading the ELF."""

__version__ = "0.1.0"
