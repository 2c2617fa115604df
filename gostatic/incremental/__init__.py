"""The incremental build: what lets a build that an earlier run settled skip go list, go env
and the ELF reading.

- gostatic.incremental.codec: the format of the state files below (named text fields);
- gostatic.incremental.stage: where each binary is built, and the stamp that says it was
  proved static;
- gostatic.incremental.plan: what the full path learned about a command line, for the next
  identical one;
- gostatic.incremental.fast: the fast path, which builds with a plan and settles the result;
- gostatic.incremental.recheck: the fast path's reading of a relinked binary;
- gostatic.incremental.forget: removing stages and plans (`gostatic cache clear`).

Importing this package imports nothing: each module is loaded only by a path that uses it.
"""
